package org.leapformer.data;

import java.util.Arrays;

/**
 * The operators of the LRA ListOps task (Tay et al. 2021, https://arxiv.org/abs/2011.04006, after
 * Nangia and Bowman 2018), each written as an opening token and closed by {@code ]}.
 */
public enum ListOpsOperator {
    /** {@code [MIN}: the smallest argument. */
    MIN("[MIN"),
    /** {@code [MAX}: the largest argument. */
    MAX("[MAX"),
    /**
     * {@code [MED}: the median, truncated to an integer as LRA does ({@code int(np.median(xs))}):
     * with an even count the mean of the two middle values, rounded down.
     */
    MED("[MED"),
    /** {@code [SM}: the sum modulo 10. */
    SUM_MOD("[SM");

    private final String token;

    ListOpsOperator(String token) {
        this.token = token;
    }

    /** The opening token, e.g. {@code [MAX}. */
    public String token() {
        return token;
    }

    /**
     * Applies the operator to digit arguments.
     *
     * @param args one or more digits 0-9
     * @return a digit 0-9
     */
    public int apply(int... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException(token + " arguments: expected at least one, found none");
        }
        switch (this) {
            case MIN:
                return Arrays.stream(args).min().getAsInt();
            case MAX:
                return Arrays.stream(args).max().getAsInt();
            case MED: {
                int[] sorted = args.clone();
                Arrays.sort(sorted);
                int n = sorted.length;
                return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            }
            case SUM_MOD:
                return Arrays.stream(args).sum() % 10;
            default:
                throw new IllegalStateException("operator: expected one of " + Arrays.toString(values())
                        + ", found " + this);
        }
    }

    /**
     * The operator written {@code token}, or null when the token names none.
     *
     * @param token e.g. {@code [MED}
     */
    public static ListOpsOperator fromToken(String token) {
        for (ListOpsOperator op : values()) {
            if (op.token.equals(token)) {
                return op;
            }
        }
        return null;
    }
}
