package io.switchboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MaskingTest {
    @Test
    void masksUriPasswordsKeepingUserHostAndPort() {
        assertEquals("redis://app:****@db:6379/0", Masking.maskSecret("redis://app:hunter2@db:6379/0"));
        assertEquals("redis://app:****@db:6379/0", Masking.maskUriPasswords("redis://app:hunter2@db:6379/0"));
    }

    @Test
    void masksPasswordsHoldingSlashesOrAtSigns() {
        assertEquals("redis://:****@db:6379", Masking.maskSecret("redis://:ab/cd@db:6379"));
        assertEquals("amqp://u:****@host/vhost", Masking.maskSecret("amqp://u:p@ss/w@host/vhost"));
        assertEquals("redis://u:****@db", Masking.maskUriPasswords("redis://u:a/b@c@db"));
    }

    @Test
    void masksATokenWithoutUser() {
        assertEquals("rediss://****@cache.example:6380", Masking.maskSecret("rediss://s3cret@cache.example:6380"));
    }

    @Test
    void leavesUrisWithoutCredentialsAndMasksPlainSecrets() {
        assertEquals("redis://db:6379", Masking.maskSecret("redis://db:6379"));
        assertEquals("****", Masking.maskSecret("password"));
        assertEquals("", Masking.maskSecret(""));
        assertEquals("just text", Masking.maskUriPasswords("just text"));
    }
}
