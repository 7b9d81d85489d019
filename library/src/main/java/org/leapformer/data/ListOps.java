package org.leapformer.data;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Generator of the LRA ListOps task (Tay et al. 2021, "Long Range Arena",
 * https://arxiv.org/abs/2011.04006): random nested expressions of {@code [MIN}, {@code [MAX},
 * {@code [MED} and {@code [SM} over digits, whose value 0-9 is the class to predict.
 *
 * <p>The sampling follows the LRA generator: at each level below the maximum depth a node is an
 * operator with probability 0.25 (else a digit 0-9, uniformly); an operator takes 2 to
 * {@code maxArgs} arguments and is drawn uniformly from the chosen operators. Trees whose
 * {@link ListOpsExpression#length() length} falls outside the length range are rejected and
 * drawn again. The LRA release used max depth 10, max args 10 and {@code 500 < length < 2000},
 * which are the defaults here ({@link #LRA_MIN_LENGTH} to {@link #LRA_MAX_LENGTH} inclusive).
 *
 * <p>Deterministic: the same builder settings give the same examples, on any JVM
 * ({@link java.util.Random} is fully specified). Not thread-safe.
 *
 * <pre>{@code
 * ListOps gen = ListOps.builder().optSeed(7).optMaxDepth(4).optLengthRange(20, 100).build();
 * List<ListOpsExample> train = gen.generate(1000);
 * }</pre>
 */
public final class ListOps {

    /** LRA's maximum depth (levels, a digit being level 1). */
    public static final int LRA_MAX_DEPTH = 10;
    /** LRA's maximum arguments per operator. */
    public static final int LRA_MAX_ARGS = 10;
    /** Smallest length in the LRA release (its generator kept {@code length > 500}). */
    public static final int LRA_MIN_LENGTH = 501;
    /** Largest length in the LRA release (its generator kept {@code length < 2000}). */
    public static final int LRA_MAX_LENGTH = 1999;
    /** Probability that a node above the maximum depth is an operator, as in LRA. */
    public static final double OPERATOR_PROBABILITY = 0.25;

    private final Random random;
    private final int maxDepth;
    private final int maxArgs;
    private final int minLength;
    private final int maxLength;
    private final ListOpsOperator[] operators;
    private final boolean parentheses;
    private final long maxAttempts;
    private int budget;

    private ListOps(Builder b) {
        this.random = new Random(b.seed);
        this.maxDepth = b.maxDepth;
        this.maxArgs = b.maxArgs;
        this.minLength = b.minLength;
        this.maxLength = b.maxLength;
        this.operators = b.operators.toArray(new ListOpsOperator[0]);
        this.parentheses = b.parentheses;
        this.maxAttempts = b.maxAttempts;
    }

    /** A builder with LRA's settings and seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The next random expression whose length is in range.
     *
     * @throws IllegalStateException when no expression in range was drawn in the allowed attempts
     */
    public ListOpsExpression nextExpression() {
        for (long attempt = 0; attempt < maxAttempts; attempt++) {
            budget = maxLength;
            ListOpsExpression e = tree(1);
            if (e != null && e.length() >= minLength) {
                return e;
            }
        }
        throw new IllegalStateException("ListOps generator: expected an expression of length " + minLength + ".."
                + maxLength + " within " + maxAttempts + " draws (max depth " + maxDepth + ", max args " + maxArgs
                + "), found none; widen the length range or raise the depth or argument count");
    }

    /** The next random example, its source written as configured. */
    public ListOpsExample next() {
        return ListOpsExample.of(nextExpression(), parentheses);
    }

    /**
     * {@code count} distinct examples (LRA drew its train, validation and test sets as one set of
     * distinct trees; split the result to do the same).
     *
     * @throws IllegalStateException when the settings allow too few distinct expressions
     */
    public List<ListOpsExample> generate(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("example count: expected >= 0, found " + count);
        }
        Set<String> seen = new LinkedHashSet<>();
        List<ListOpsExample> out = new ArrayList<>(count);
        long duplicates = 0;
        while (out.size() < count) {
            ListOpsExample e = next();
            if (seen.add(e.source())) {
                out.add(e);
            } else if (++duplicates > maxAttempts) {
                throw new IllegalStateException("ListOps generator: expected " + count + " distinct examples, found "
                        + out.size() + " after " + duplicates + " duplicates; widen the length range or depth");
            }
        }
        return out;
    }

    /** A subtree at {@code depth}, or null once the length budget is exceeded. */
    private ListOpsExpression tree(int depth) {
        boolean operator = depth < maxDepth && random.nextDouble() < OPERATOR_PROBABILITY;
        if (!operator) {
            budget -= 1;
            return budget < 0 ? null : new ListOpsExpression.Digit(random.nextInt(10));
        }
        budget -= 2;
        int count = 2 + random.nextInt(maxArgs - 1);
        List<ListOpsExpression> args = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (budget < 0) {
                return null;
            }
            ListOpsExpression a = tree(depth + 1);
            if (a == null) {
                return null;
            }
            args.add(a);
        }
        if (budget < 0) {
            return null;
        }
        return new ListOpsExpression.Apply(operators[random.nextInt(operators.length)], args);
    }

    /** The longest expression the depth and argument limits allow, saturating at Long.MAX_VALUE. */
    static long longestPossible(int maxDepth, int maxArgs) {
        long length = 1;
        for (int level = maxDepth - 1; level >= 1; level--) {
            length = length > (Long.MAX_VALUE - 2) / maxArgs ? Long.MAX_VALUE : 2 + maxArgs * length;
        }
        return length;
    }

    /** Builder: every setting is optional and defaults to LRA's. */
    public static final class Builder {
        private long seed;
        private int maxDepth = LRA_MAX_DEPTH;
        private int maxArgs = LRA_MAX_ARGS;
        private int minLength = LRA_MIN_LENGTH;
        private int maxLength = LRA_MAX_LENGTH;
        private Set<ListOpsOperator> operators = EnumSet.allOf(ListOpsOperator.class);
        private boolean parentheses = true;
        private long maxAttempts = 1_000_000;

        private Builder() {}

        /** Seed of the generator (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Maximum depth in levels, a digit being level 1; at least 2 (default 10, as LRA). */
        public Builder optMaxDepth(int maxDepth) {
            this.maxDepth = maxDepth;
            return this;
        }

        /** Maximum arguments per operator, at least 2 (default 10, as LRA). */
        public Builder optMaxArgs(int maxArgs) {
            this.maxArgs = maxArgs;
            return this;
        }

        /** Inclusive range of lengths in tokens, parentheses not counted (default 501..1999, as LRA). */
        public Builder optLengthRange(int minLength, int maxLength) {
            this.minLength = minLength;
            this.maxLength = maxLength;
            return this;
        }

        /** The operators to draw from (default all four). */
        public Builder optOperators(Set<ListOpsOperator> operators) {
            if (operators == null) {
                this.operators = null;
            } else {
                this.operators = EnumSet.noneOf(ListOpsOperator.class);
                this.operators.addAll(operators);
            }
            return this;
        }

        /**
         * Whether sources are written in the LRA release's parenthesised form (default true) or in
         * the plain form {@code [MAX 4 3 ]}.
         */
        public Builder optParentheses(boolean parentheses) {
            this.parentheses = parentheses;
            return this;
        }

        /** Draws allowed per expression before giving up (default 1,000,000). */
        public Builder optMaxAttempts(long maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Validates and builds. */
        public ListOps build() {
            require(maxDepth >= 2, "ListOps max depth", "at least 2 (one operator over digits)", maxDepth);
            require(maxArgs >= 2, "ListOps max args", "at least 2 (LRA operators take 2 or more)", maxArgs);
            require(minLength >= 1 && minLength <= maxLength, "ListOps length range",
                    "1 <= min <= max", minLength + ".." + maxLength);
            long longest = longestPossible(maxDepth, maxArgs);
            require(minLength <= longest, "ListOps min length", "at most " + longest + ", the longest expression "
                    + "max depth " + maxDepth + " and max args " + maxArgs + " allow", minLength);
            require(operators != null && !operators.isEmpty(), "ListOps operators", "a non-empty set",
                    operators == null ? "null" : "an empty set");
            require(maxAttempts > 0, "ListOps max attempts", "a positive count", maxAttempts);
            return new ListOps(this);
        }

        private static void require(boolean ok, String what, Object expected, Object found) {
            if (!ok) {
                throw new IllegalArgumentException(what + ": expected " + expected + ", found " + found);
            }
        }
    }
}
