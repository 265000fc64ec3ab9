package io.switchboard.spring;

import io.switchboard.Switchboard;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/** The {@code switchboard} health contributor, when Spring Boot's health support is present; off with {@code management.health.switchboard.enabled=false}. */
@AutoConfiguration(after = SwitchboardAutoConfiguration.class)
@ConditionalOnClass({HealthContributor.class, Switchboard.class})
@ConditionalOnSingleCandidate(Switchboard.class)
@ConditionalOnEnabledHealthIndicator("switchboard")
public final class SwitchboardHealthAutoConfiguration {
    /** Named so that Actuator shows it as {@code switchboard}. */
    @Bean
    @ConditionalOnMissingBean(name = "switchboardHealthContributor")
    public SwitchboardHealthContributor switchboardHealthContributor(Switchboard switchboard) {
        return new SwitchboardHealthContributor(switchboard);
    }
}
