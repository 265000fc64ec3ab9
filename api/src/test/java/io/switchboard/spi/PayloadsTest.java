package io.switchboard.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.switchboard.Message;
import io.switchboard.internal.PayloadAccess;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PayloadsTest {
    @Test
    void adoptAndViewShareTheArrayWhileTheUserFacingCallsStillCopy() {
        byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
        Message m = Payloads.adopt(Message.builder().contentType(Message.JSON), body).build();
        assertSame(body, Payloads.view(m), "no copy either way");
        assertEquals(Message.JSON, m.contentType(), "adopt keeps the content type set");
        assertNotSame(body, m.payload(), "Message.payload() still copies");
        assertArrayEquals(body, m.payload());
        byte[] given = {1, 2, 3};
        Message copied = Message.ofBytes(given);
        assertNotSame(given, Payloads.view(copied), "Message.Builder.payload(byte[]) still copies on the way in");
        assertEquals(Message.OCTET_STREAM, Payloads.adopt(Message.builder(), given).build().contentType());
    }

    @Test
    void nobodyCanInstallAnotherAccess() {
        Payloads.view(Message.ofText("x"));
        assertThrows(IllegalStateException.class, () -> PayloadAccess.install(new PayloadAccess() {
            @Override
            public byte[] view(Message message) {
                return new byte[0];
            }

            @Override
            public Message.Builder adopt(Message.Builder builder, byte[] payload) {
                return builder;
            }
        }));
    }

    @Test
    void nullsAreRefusedNamingTheArgument() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> Payloads.adopt(Message.builder(), null));
        assertEquals("payload", e.getMessage());
        assertEquals("message", assertThrows(NullPointerException.class, () -> Payloads.view(null)).getMessage());
    }
}
