package io.switchboard.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.switchboard.Message;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InboundDeliveryTest {
    private final Message message = Message.builder().payload(new byte[100]).header("trace", "abc").build();

    @Test
    void anAtMostOnceDeliveryOfADecodedMessageIsSizedByIt() {
        assertEquals(100 + 5 + 3, InboundDelivery.atMostOnce(message).sizeHint());
    }

    @Test
    void aLazyDeliveryGivenItsFrameLengthIsSizedWithoutDecoding() {
        AtomicInteger decodes = new AtomicInteger();
        InboundDelivery d = InboundDelivery.atMostOnce(() -> {
            decodes.incrementAndGet();
            return message;
        }, null, 4096);
        assertEquals(4096, d.sizeHint());
        assertEquals(4096, d.sizeHint(), "the same every time");
        assertEquals(0, decodes.get(), "measuring must not decode");
        d.message();
        d.message();
        assertEquals(1, decodes.get());
        assertThrows(IllegalArgumentException.class, () -> InboundDelivery.atMostOnce(() -> message, null, -1));
    }

    @Test
    void aLazyDeliveryWithoutALengthIsSizedByDecodingOnce() {
        AtomicInteger decodes = new AtomicInteger();
        InboundDelivery d = InboundDelivery.atMostOnce(() -> {
            decodes.incrementAndGet();
            return message;
        });
        assertEquals(message.size(), d.sizeHint());
        assertEquals(message.size(), d.sizeHint());
        assertEquals(1, decodes.get());
    }
}
