package org.leapformer.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The fixed ListOps vocabulary and its encoder: id 0 is {@code <pad>}, then {@code ]}, the four
 * operators in {@link ListOpsOperator} order and the digits 0-9 (16 ids). Parentheses of the LRA
 * release's form are dropped, so both written forms encode alike.
 *
 * <p>Encoding to a fixed length N pads with id 0 or truncates at N (keeping the first N tokens,
 * as LRA's input pipeline does), and returns a mask that is 1 on real tokens.
 */
public final class ListOpsVocabulary {

    /** Id of {@code <pad>}. */
    public static final int PAD = 0;
    /** Id of {@code ]}. */
    public static final int CLOSE = 1;
    /** Id of the first operator; operator o has id {@code OPERATOR_BASE + o.ordinal()}. */
    public static final int OPERATOR_BASE = 2;
    /** Id of digit 0; digit d has id {@code DIGIT_BASE + d}. */
    public static final int DIGIT_BASE = OPERATOR_BASE + ListOpsOperator.values().length;
    /** Number of ids. */
    public static final int SIZE = DIGIT_BASE + 10;

    private static final List<String> TOKENS;

    static {
        List<String> t = new ArrayList<>();
        t.add("<pad>");
        t.add("]");
        for (ListOpsOperator op : ListOpsOperator.values()) {
            t.add(op.token());
        }
        for (int d = 0; d < 10; d++) {
            t.add(Integer.toString(d));
        }
        TOKENS = Collections.unmodifiableList(t);
    }

    private ListOpsVocabulary() {}

    /** The tokens by id. */
    public static List<String> tokens() {
        return TOKENS;
    }

    /**
     * The ids of a source's tokens, parentheses left out.
     *
     * @throws ListOpsSyntaxException on a token outside the vocabulary
     */
    public static int[] ids(String source) {
        String trimmed = source == null ? "" : source.strip();
        if (trimmed.isEmpty()) {
            throw new ListOpsSyntaxException(1, "a ListOps source", source == null ? "null" : "an empty source");
        }
        String[] tokens = trimmed.split("\\s+");
        int[] ids = new int[tokens.length];
        int n = 0;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (t.equals("(") || t.equals(")")) {
                continue;
            }
            int id = id(t);
            if (id < 0) {
                throw new ListOpsSyntaxException(i + 1, "one of [MIN [MAX [MED [SM ] ( ) or a digit 0-9",
                        "'" + t + "'");
            }
            ids[n++] = id;
        }
        return Arrays.copyOf(ids, n);
    }

    /** The id of a token, or -1 when it has none ({@code <pad>} included: it never appears in a source). */
    public static int id(String token) {
        if (token.length() == 1) {
            char c = token.charAt(0);
            if (c >= '0' && c <= '9') {
                return DIGIT_BASE + (c - '0');
            }
            if (c == ']') {
                return CLOSE;
            }
            return -1;
        }
        ListOpsOperator op = ListOpsOperator.fromToken(token);
        return op == null ? -1 : OPERATOR_BASE + op.ordinal();
    }

    /** The token of an id. */
    public static String token(int id) {
        if (id < 0 || id >= SIZE) {
            throw new IllegalArgumentException("ListOps token id: expected 0.." + (SIZE - 1) + ", found " + id);
        }
        return TOKENS.get(id);
    }

    /** The plain form of the ids, padding skipped: {@code [MAX 4 3 ]}. */
    public static String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id == PAD) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(token(id));
        }
        return sb.toString();
    }

    /**
     * A source padded or truncated to {@code length} ids.
     *
     * @param source either written form
     * @param length N, the fixed length
     */
    public static Encoded encode(String source, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("ListOps encoded length: expected a positive N, found " + length);
        }
        int[] all = ids(source);
        int kept = Math.min(all.length, length);
        int[] ids = Arrays.copyOf(all, length);
        int[] mask = new int[length];
        Arrays.fill(mask, 0, kept, 1);
        return new Encoded(ids, mask, all.length);
    }

    /**
     * A source as fixed-length ids.
     *
     * @param ids (N) token ids, {@link #PAD} after the source
     * @param mask (N) 1 on real tokens, 0 on padding
     * @param sourceLength tokens in the source before padding or truncation; more than N when truncated
     */
    public record Encoded(int[] ids, int[] mask, int sourceLength) {

        /** Whether the source was cut to fit. */
        public boolean truncated() {
            return sourceLength > ids.length;
        }
    }
}
