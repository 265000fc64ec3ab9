package io.switchboard.spring;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.core.env.Environment;

/** Finds {@link SwitchboardListener} methods on beans as they are initialized; the registry subscribes them. */
final class SwitchboardListenerPostProcessor implements BeanPostProcessor, EnvironmentAware {
    private final List<ListenerMethod> found = new CopyOnWriteArrayList<>();
    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> target = AopUtils.getTargetClass(bean);
        if (!AnnotationUtils.isCandidateClass(target, SwitchboardListener.class)) {
            return bean;
        }
        Map<Method, SwitchboardListener> methods = MethodIntrospector.selectMethods(target,
                (MethodIntrospector.MetadataLookup<SwitchboardListener>) m -> AnnotatedElementUtils.findMergedAnnotation(m,
                        SwitchboardListener.class));
        methods.forEach((method, annotation) -> found.add(ListenerMethod.of(beanName, bean,
                AopUtils.selectInvocableMethod(method, bean.getClass()), annotation, environment)));
        return bean;
    }

    List<ListenerMethod> listeners() {
        return List.copyOf(found);
    }
}
