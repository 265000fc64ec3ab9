package io.switchboard.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.spi.ConfigKey;
import org.junit.jupiter.api.Test;

class MaskingTest {
    @Test
    void masksUriPasswordsKeepingUserHostAndPort() {
        assertEquals("redis://app:****@db:6379/0", Masking.maskSecret("redis://app:hunter2@db:6379/0"));
        assertEquals("redis://app:****@db:6379/0", Masking.maskUserInfo("redis://app:hunter2@db:6379/0"));
    }

    @Test
    void masksPasswordsHoldingSlashesOrAtSigns() {
        assertEquals("redis://:****@db:6379", Masking.maskSecret("redis://:ab/cd@db:6379"));
        assertEquals("amqp://u:****@host/vhost", Masking.maskSecret("amqp://u:p@ss/w@host/vhost"));
        assertEquals("redis://u:****@db", Masking.maskUserInfo("redis://u:a/b@c@db"));
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
        assertEquals("just text", Masking.maskUserInfo("just text"));
    }

    @Test
    void masksUserInfoInAddressesWithoutScheme() {
        assertEquals("app:****@cache1:11211", Masking.maskUserInfo("app:hunter2@cache1:11211"));
        assertEquals("rediss://****@cache1:6380", Masking.maskUserInfo("rediss://hunter2@cache1:6380"), "with a scheme, a lone token is masked");
        assertEquals("ops@example.com Sub@1b6d3586", Masking.maskUserInfo("ops@example.com Sub@1b6d3586"),
                "without a scheme, only user:password is user info");
        assertEquals("u:****@[::1]:5672", Masking.maskUserInfo("u:p@ss:w0rd@[::1]:5672"), "up to the last @ of the token");
        assertEquals("cache1:11211", Masking.maskUserInfo("cache1:11211"));
    }

    @Test
    void masksEveryAddressOfAList() {
        assertEquals("a:11211,app:****@b:11211, c:11211 ;x:****@d",
                Masking.maskUserInfo("a:11211,app:pw1@b:11211, c:11211 ;x:pw2@d"));
        assertEquals("amqp://u:****@h1:5672,u:****@h2:5672", Masking.maskUserInfo("amqp://u:pw1@h1:5672,u:pw2@h2:5672"));
    }

    @Test
    void masksAddressesInsideMessages() {
        assertEquals("cannot reach 'app:****@cache1:11211' (refused); tried [u:****@h:1]",
                Masking.maskUserInfo("cannot reach 'app:secret@cache1:11211' (refused); tried [u:pw@h:1]"));
        assertEquals("connect to redis://:****@db:6379/0 failed", Masking.maskUserInfo("connect to redis://:pw@db:6379/0 failed"));
        assertEquals("no credentials here: host:1, 10:30", Masking.maskUserInfo("no credentials here: host:1, 10:30"));
    }

    @Test
    void maskValueMasksSecretsWholeAndUserInfoInEveryOtherKey() {
        ConfigKey<String> secret = ConfigKey.secret("switchboard.x.password", null, "password");
        ConfigKey<java.util.List<String>> servers = ConfigKey.list("switchboard.x.servers", java.util.List.of(), "servers");
        assertEquals("****", Masking.maskValue(secret, "hunter2"));
        assertEquals("a:1,app:****@b:2", Masking.maskValue(servers, "a:1,app:hunter2@b:2"));
        assertEquals(null, Masking.maskUserInfo(null));
    }
}
