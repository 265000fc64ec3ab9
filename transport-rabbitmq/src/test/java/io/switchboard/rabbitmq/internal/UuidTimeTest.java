package io.switchboard.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.AMQP;
import io.switchboard.Message;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UuidTimeTest {
    @Test
    void aDefaultMessageIdCarriesTheMessagesMillisecond() {
        for (int i = 0; i < 1000; i++) {
            Message m = Message.ofText("x");
            assertEquals(m.timestamp().toEpochMilli(), UuidTime.millis(m.id()), m.id());
        }
        Instant set = Instant.parse("2026-11-23T10:15:30.123456Z");
        Message m = Message.builder().text("x").timestamp(set).build();
        assertEquals(set.toEpochMilli(), UuidTime.millis(m.id()));
    }

    @Test
    void onlyCanonicalVersion7UuidsCarryATime() {
        assertEquals(0x0189abcdef01L, UuidTime.millis("0189abcd-ef01-7abc-8def-0123456789ab"));
        assertEquals(-1, UuidTime.millis(UUID.randomUUID().toString()), "version 4");
        assertEquals(-1, UuidTime.millis("0189abcd-ef01-7abc-8def-0123456789a"), "too short");
        assertEquals(-1, UuidTime.millis("0189abcd-ef01-7abc-8def-0123456789ag"), "not hex");
        assertEquals(-1, UuidTime.millis("0189abcdxef01-7abc-8def-0123456789ab"), "no dash");
        assertEquals(-1, UuidTime.millis("order-42"));
        assertEquals(-1, UuidTime.millis(null));
    }

    @Test
    void aNonHexCharacterAtAnyDigitPositionMeansNoTime() {
        String good = "0189abcd-ef01-7abc-8def-0123456789ab";
        assertEquals(0x0189abcdef01L, UuidTime.millis(good.toUpperCase()), "upper case hex");
        for (int i = 0; i < good.length(); i++) {
            if (good.charAt(i) == '-' || i == 14) {
                continue;
            }
            for (char c : new char[] {'g', 'G', '-', ' ', '\u00e9', '\u0130', '/', ':', '@', '`'}) {
                String bad = good.substring(0, i) + c + good.substring(i + 1);
                assertEquals(-1, UuidTime.millis(bad), bad);
            }
        }
    }

    @Test
    void timestampComesFromTheHeaderThenTheIdWithinTheSecondThenTheSecond() {
        long ms = 1_700_000_000_123L;
        String v7 = String.format("%08x-%04x-7abc-8def-0123456789ab", ms >>> 16, ms & 0xffff);
        Date second = new Date(ms / 1000 * 1000);
        AMQP.BasicProperties header = new AMQP.BasicProperties.Builder().messageId("x").timestamp(second)
                .headers(Map.of("sb-timestamp", 1_700_000_000_456L)).build();
        assertEquals(Instant.ofEpochMilli(1_700_000_000_456L), RabbitMqSubscription.timestampOf(header));
        AMQP.BasicProperties idInSecond = new AMQP.BasicProperties.Builder().messageId(v7).timestamp(second).build();
        assertEquals(Instant.ofEpochMilli(ms), RabbitMqSubscription.timestampOf(idInSecond));
        AMQP.BasicProperties idElsewhere = new AMQP.BasicProperties.Builder().messageId(v7).timestamp(new Date(second.getTime() + 5000)).build();
        assertEquals(Instant.ofEpochMilli(second.getTime() + 5000), RabbitMqSubscription.timestampOf(idElsewhere), "an id from another second is not the time");
        AMQP.BasicProperties foreignId = new AMQP.BasicProperties.Builder().messageId("order-42").timestamp(second).build();
        assertEquals(second.toInstant(), RabbitMqSubscription.timestampOf(foreignId));
    }
}
