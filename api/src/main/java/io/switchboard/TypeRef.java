package io.switchboard;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Objects;

/**
 * A full generic type, for reading JSON into {@code List<Order>} or {@code Map<String, Price>}
 * where a {@code Class} would give maps and lists: create it as an anonymous subclass, whose type
 * argument Java keeps at run time.
 *
 * <pre>{@code
 * List<Order> orders = cache.get("orders:today", new TypeRef<List<Order>>() {});
 * }</pre>
 *
 * <p>Immutable and thread-safe; create one per type and reuse it. Two references are equal when
 * their types are.
 *
 * @param <T> the type to read
 */
public abstract class TypeRef<T> {
    private final Type type;

    /**
     * Captures the type argument of the anonymous subclass.
     *
     * @throws IllegalStateException if the subclass gives no type argument, or one holding a type
     *     variable (inside a generic method {@code T} is not known at run time)
     */
    protected TypeRef() {
        Type superclass = getClass().getGenericSuperclass();
        if (!(superclass instanceof ParameterizedType) || ((ParameterizedType) superclass).getRawType() != TypeRef.class) {
            throw new IllegalStateException("create a TypeRef as an anonymous subclass of TypeRef itself with a type argument, "
                    + "as in new TypeRef<List<Order>>() {}");
        }
        this.type = ((ParameterizedType) superclass).getActualTypeArguments()[0];
        if (hasVariable(type)) {
            throw new IllegalStateException("TypeRef of " + type.getTypeName() + " holds a type variable, which is not known at run "
                    + "time; name the concrete type, as in new TypeRef<List<Order>>() {}");
        }
    }

    private TypeRef(Class<T> type) {
        this.type = type;
    }

    /** The reference of a plain class. */
    public static <T> TypeRef<T> of(Class<T> type) {
        Objects.requireNonNull(type, "type");
        return new TypeRef<T>(type) {
        };
    }

    /** The type, never {@code null}. */
    public final Type type() {
        return type;
    }

    private static boolean hasVariable(Type t) {
        if (t instanceof TypeVariable) {
            return true;
        }
        if (t instanceof ParameterizedType) {
            for (Type arg : ((ParameterizedType) t).getActualTypeArguments()) {
                if (hasVariable(arg)) {
                    return true;
                }
            }
            return false;
        }
        if (t instanceof GenericArrayType) {
            return hasVariable(((GenericArrayType) t).getGenericComponentType());
        }
        if (t instanceof WildcardType) {
            WildcardType w = (WildcardType) t;
            for (Type b : w.getUpperBounds()) {
                if (hasVariable(b)) {
                    return true;
                }
            }
            for (Type b : w.getLowerBounds()) {
                if (hasVariable(b)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof TypeRef && type.equals(((TypeRef<?>) o).type);
    }

    @Override
    public final int hashCode() {
        return type.hashCode();
    }

    @Override
    public String toString() {
        return "TypeRef[" + type.getTypeName() + "]";
    }
}
