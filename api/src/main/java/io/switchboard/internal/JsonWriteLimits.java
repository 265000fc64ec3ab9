package io.switchboard.internal;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonGeneratorDecorator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Holds JSON writes to the limits that reads enforce ({@link StreamReadConstraints}), so that
 * whatever {@link io.switchboard.JsonCodec} writes it can read back. Jackson limits only the
 * nesting depth of writes; this decorator adds string, number and property-name lengths (counted
 * as the parser counts them: characters, and digits), and checks raw JSON values by parsing them.
 * The document length is checked by the codec on the finished bytes. Strings and names must also
 * be well-formed UTF-16: Jackson writes a property name with an unpaired surrogate that its own
 * parser then refuses, and a value as an escape that other languages read differently.
 */
public final class JsonWriteLimits implements JsonGeneratorDecorator {
    /** A double or a long never has more digits than this, so shorter limits need a check for them too. */
    private static final int LONGEST_PRIMITIVE = 25;

    private final StreamReadConstraints limits;
    private final JsonFactory reader;

    /**
     * @param limits the read limits to hold writes to
     * @param reader a factory applying the same limits, to parse raw values with
     */
    public JsonWriteLimits(StreamReadConstraints limits, JsonFactory reader) {
        this.limits = limits;
        this.reader = reader;
    }

    @Override
    public JsonGenerator decorate(JsonFactory factory, JsonGenerator generator) {
        return new Checked(generator);
    }

    private final class Checked extends JsonGeneratorDelegate {
        /** {@code false}: writeObject and writeTree come back through this delegate instead of bypassing it. */
        Checked(JsonGenerator d) {
            super(d, false);
        }

        private void wellFormed(CharSequence text, String what) throws JsonGenerationException {
            int at = Utf8.unpairedSurrogate(text);
            if (at >= 0) {
                throw new JsonGenerationException(what + " is not well-formed UTF-16: unpaired surrogate "
                        + String.format("U+%04X", (int) text.charAt(at)) + " at position " + (at + 1), this);
            }
        }

        private void string(long chars) throws StreamConstraintsException {
            if (chars > limits.getMaxStringLength()) {
                throw new StreamConstraintsException("a string of " + chars + " characters is over maxStringLength="
                        + limits.getMaxStringLength());
            }
        }

        private void name(int chars) throws StreamConstraintsException {
            if (chars > limits.getMaxNameLength()) {
                throw new StreamConstraintsException("a property name of " + chars + " characters is over maxNameLength="
                        + limits.getMaxNameLength());
            }
        }

        /** The parser counts digits only (integer, fraction and exponent), not signs, points or 'e'. */
        private void digits(CharSequence text) throws StreamConstraintsException {
            int n = 0;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c >= '0' && c <= '9') {
                    n++;
                }
            }
            if (n > limits.getMaxNumberLength()) {
                throw new StreamConstraintsException("a number of " + n + " digits is over maxNumberLength=" + limits.getMaxNumberLength());
            }
        }

        private boolean shortNumbers() {
            return limits.getMaxNumberLength() < LONGEST_PRIMITIVE;
        }

        /** UTF-8 bytes to characters as the parser will count them: one per sequence, two for a 4-byte one. */
        private void utf8(byte[] b, int off, int len) throws StreamConstraintsException {
            if (len <= limits.getMaxStringLength()) {
                return;
            }
            long chars = 0;
            for (int i = off; i < off + len; i++) {
                int x = b[i] & 0xff;
                if ((x & 0xc0) != 0x80) {
                    chars += x >= 0xf0 ? 2 : 1;
                }
            }
            string(chars);
        }

        private void base64(Base64Variant v, long bytes) throws StreamConstraintsException {
            long chars = 4 * ((bytes + 2) / 3);
            if (v.getMaxLineLength() > 0 && v.getMaxLineLength() < Integer.MAX_VALUE) {
                chars += chars / v.getMaxLineLength();
            }
            string(chars);
        }

        /** A raw value is parsed with the read limits, its depth counted from where it is written. */
        private void raw(String json) throws IOException {
            int base = getOutputContext().getNestingDepth();
            int depth = 0;
            try (JsonParser p = reader.createParser(json)) {
                JsonToken t;
                while ((t = p.nextToken()) != null) {
                    if (t.isStructStart() && base + ++depth > limits.getMaxNestingDepth()) {
                        throw new StreamConstraintsException("a raw value nests " + (base + depth) + " deep, over maxNestingDepth="
                                + limits.getMaxNestingDepth());
                    } else if (t.isStructEnd()) {
                        depth--;
                    }
                }
            }
        }

        @Override
        public void writeFieldName(String name) throws IOException {
            name(name.length());
            wellFormed(name, "a property name");
            super.writeFieldName(name);
        }

        @Override
        public void writeFieldName(SerializableString name) throws IOException {
            name(name.charLength());
            wellFormed(name.getValue(), "a property name");
            super.writeFieldName(name);
        }

        @Override
        public void writeString(String text) throws IOException {
            if (text != null) {
                string(text.length());
                wellFormed(text, "a string");
            }
            super.writeString(text);
        }

        @Override
        public void writeString(char[] text, int offset, int len) throws IOException {
            string(len);
            wellFormed(java.nio.CharBuffer.wrap(text, offset, len), "a string");
            super.writeString(text, offset, len);
        }

        @Override
        public void writeString(SerializableString text) throws IOException {
            string(text.charLength());
            wellFormed(text.getValue(), "a string");
            super.writeString(text);
        }

        @Override
        public void writeString(java.io.Reader reader, int len) throws IOException {
            if (len < 0) {
                throw new StreamConstraintsException("a string of unknown length cannot be checked against maxStringLength="
                        + limits.getMaxStringLength());
            }
            string(len);
            super.writeString(reader, len);
        }

        @Override
        public void writeRawUTF8String(byte[] text, int offset, int length) throws IOException {
            utf8(text, offset, length);
            super.writeRawUTF8String(text, offset, length);
        }

        @Override
        public void writeUTF8String(byte[] text, int offset, int length) throws IOException {
            utf8(text, offset, length);
            super.writeUTF8String(text, offset, length);
        }

        @Override
        public void writeArray(String[] array, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                if (array[i] != null) {
                    string(array[i].length());
                    wellFormed(array[i], "a string");
                }
            }
            super.writeArray(array, offset, length);
        }

        @Override
        public void writeArray(int[] array, int offset, int length) throws IOException {
            if (shortNumbers()) {
                for (int i = offset; i < offset + length; i++) {
                    digits(Integer.toString(array[i]));
                }
            }
            super.writeArray(array, offset, length);
        }

        @Override
        public void writeArray(long[] array, int offset, int length) throws IOException {
            if (shortNumbers()) {
                for (int i = offset; i < offset + length; i++) {
                    digits(Long.toString(array[i]));
                }
            }
            super.writeArray(array, offset, length);
        }

        @Override
        public void writeArray(double[] array, int offset, int length) throws IOException {
            if (shortNumbers()) {
                for (int i = offset; i < offset + length; i++) {
                    digits(Double.toString(array[i]));
                }
            }
            super.writeArray(array, offset, length);
        }

        @Override
        public void writeBinary(Base64Variant v, byte[] data, int offset, int len) throws IOException {
            base64(v, len);
            super.writeBinary(v, data, offset, len);
        }

        @Override
        public int writeBinary(Base64Variant v, InputStream data, int dataLength) throws IOException {
            if (dataLength < 0) {
                throw new StreamConstraintsException("binary data of unknown length cannot be checked against maxStringLength="
                        + limits.getMaxStringLength());
            }
            base64(v, dataLength);
            return super.writeBinary(v, data, dataLength);
        }

        @Override
        public void writeNumber(short v) throws IOException {
            if (shortNumbers()) {
                digits(Short.toString(v));
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(int v) throws IOException {
            if (shortNumbers()) {
                digits(Integer.toString(v));
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(long v) throws IOException {
            if (shortNumbers()) {
                digits(Long.toString(v));
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(double v) throws IOException {
            if (shortNumbers()) {
                digits(Double.toString(v));
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(float v) throws IOException {
            if (shortNumbers()) {
                digits(Float.toString(v));
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(BigInteger v) throws IOException {
            // bitLength bounds the digits from above (log10(2) < 0.302), sparing a toString for ordinary values.
            if (v != null && (long) (v.bitLength() * 0.302) + 1 > limits.getMaxNumberLength()) {
                digits(v.toString());
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(BigDecimal v) throws IOException {
            if (v != null) {
                boolean plain = isEnabled(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN);
                long bound = v.precision() + (plain ? Math.abs((long) v.scale()) : 12);
                if (bound > limits.getMaxNumberLength()) {
                    digits(plain ? v.toPlainString() : v.toString());
                }
            }
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(String encodedValue) throws IOException {
            if (encodedValue != null) {
                digits(encodedValue);
            }
            super.writeNumber(encodedValue);
        }

        @Override
        public void writeNumber(char[] encodedValueBuffer, int offset, int len) throws IOException {
            digits(java.nio.CharBuffer.wrap(encodedValueBuffer, offset, len));
            super.writeNumber(encodedValueBuffer, offset, len);
        }

        @Override
        public void writeRawValue(String text) throws IOException {
            raw(text);
            super.writeRawValue(text);
        }

        @Override
        public void writeRawValue(String text, int offset, int len) throws IOException {
            raw(text.substring(offset, offset + len));
            super.writeRawValue(text, offset, len);
        }

        @Override
        public void writeRawValue(char[] text, int offset, int len) throws IOException {
            raw(new String(text, offset, len));
            super.writeRawValue(text, offset, len);
        }
    }
}
