/**
 * Spring Boot auto-configuration for Switchboard: the {@link io.switchboard.Switchboard} and its
 * publisher, subscriber and cache as beans from {@code switchboard.*} properties,
 * {@link io.switchboard.spring.SwitchboardListener} methods, the {@code switchboard} health
 * contributor, Micrometer metrics and OpenTelemetry tracing when their modules are present, and
 * shutdown in Boot's order ({@link io.switchboard.spring.SwitchboardListenerRegistry}, then the web
 * server, then {@link io.switchboard.spring.SwitchboardLifecycle}).
 */
package io.switchboard.spring;
