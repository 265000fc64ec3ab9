package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TypeRefTest {
    @Test
    void capturesTheFullGenericType() {
        TypeRef<Map<String, List<Integer>>> ref = new TypeRef<>() {
        };
        assertEquals("java.util.Map<java.lang.String, java.util.List<java.lang.Integer>>", ref.type().getTypeName());
        assertEquals(new TypeRef<Map<String, List<Integer>>>() {
        }, ref, "equal when the types are");
        assertNotEquals(new TypeRef<Map<String, List<Long>>>() {
        }, ref);
        assertEquals(String.class, TypeRef.of(String.class).type());
        assertEquals(TypeRef.of(String.class), new TypeRef<String>() {
        });
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    @Test
    void refusesARawReference() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TypeRef() {
        });
        assertTrue(e.getMessage().contains("new TypeRef<List<Order>>() {}"), e.getMessage());
    }

    private static <T> TypeRef<List<T>> generic() {
        return new TypeRef<List<T>>() {
        };
    }

    @Test
    void refusesATypeVariableThatWouldSilentlyReadMaps() {
        IllegalStateException e = assertThrows(IllegalStateException.class, TypeRefTest::generic);
        assertTrue(e.getMessage().contains("type variable"), e.getMessage());
    }
}
