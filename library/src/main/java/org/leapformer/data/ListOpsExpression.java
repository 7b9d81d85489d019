package org.leapformer.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A ListOps expression: a digit, or an operator applied to one or more expressions.
 *
 * <p>Two written forms are read and written. The plain form, {@code [MAX 4 3 [MIN 2 3 ] 1 ]},
 * is the one the LRA paper shows. The LRA release's TSV files use the parenthesised form its
 * generator writes, where each operator node with k arguments is wrapped in k + 1 parentheses:
 * {@code [MAX 4 3 ]} is written {@code ( ( ( [MAX 4 ) 3 ) ] )}. Parentheses carry no information
 * beyond the brackets, so {@link #parse(String)} accepts both (checking that parentheses balance)
 * and the token ids of {@link ListOpsVocabulary} leave them out.
 *
 * <p>{@link #length()} counts tokens as LRA does: operators, digits and {@code ]}, not
 * parentheses. {@link #depth()} counts levels as LRA's {@code max_depth} does: a digit has
 * depth 1, an operator one more than its deepest argument.
 */
public sealed interface ListOpsExpression permits ListOpsExpression.Digit, ListOpsExpression.Apply {

    /** The value, a digit 0-9. */
    int value();

    /** Tokens in LRA's count: operators, digits and {@code ]}. */
    int length();

    /** Levels: 1 for a digit, 1 + the deepest argument for an operator. */
    int depth();

    /**
     * The written form.
     *
     * @param parentheses true for the LRA release's parenthesised form, false for the plain form
     */
    default String toSource(boolean parentheses) {
        StringBuilder sb = new StringBuilder();
        write(sb, parentheses);
        return sb.toString();
    }

    /** Appends the written form to {@code sb}, tokens separated by one space. */
    void write(StringBuilder sb, boolean parentheses);

    /**
     * A digit 0-9.
     *
     * @param value the digit
     */
    record Digit(int value) implements ListOpsExpression {
        /** Checks the digit. */
        public Digit {
            if (value < 0 || value > 9) {
                throw new IllegalArgumentException("ListOps digit: expected 0-9, found " + value);
            }
        }

        @Override
        public int length() {
            return 1;
        }

        @Override
        public int depth() {
            return 1;
        }

        @Override
        public void write(StringBuilder sb, boolean parentheses) {
            sb.append(value);
        }
    }

    /**
     * An operator applied to one or more arguments.
     *
     * @param operator the operator
     * @param args the arguments, at least one
     */
    record Apply(ListOpsOperator operator, List<ListOpsExpression> args) implements ListOpsExpression {
        /** Checks and copies the arguments. */
        public Apply {
            if (operator == null) {
                throw new IllegalArgumentException("ListOps operator: expected one of MIN, MAX, MED, SUM_MOD, "
                        + "found null");
            }
            if (args == null || args.isEmpty()) {
                throw new IllegalArgumentException(operator.token() + " arguments: expected at least one, found "
                        + (args == null ? "null" : "none"));
            }
            args = List.copyOf(args);
        }

        @Override
        public int value() {
            int[] values = new int[args.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = args.get(i).value();
            }
            return operator.apply(values);
        }

        @Override
        public int length() {
            int n = 2;
            for (ListOpsExpression a : args) {
                n += a.length();
            }
            return n;
        }

        @Override
        public int depth() {
            int d = 0;
            for (ListOpsExpression a : args) {
                d = Math.max(d, a.depth());
            }
            return d + 1;
        }

        @Override
        public void write(StringBuilder sb, boolean parentheses) {
            if (parentheses) {
                sb.append("( ".repeat(args.size() + 1));
            }
            sb.append(operator.token());
            for (ListOpsExpression a : args) {
                sb.append(' ');
                a.write(sb, parentheses);
                if (parentheses) {
                    sb.append(" )");
                }
            }
            sb.append(" ]");
            if (parentheses) {
                sb.append(" )");
            }
        }
    }

    /**
     * Parses a source in either written form; tokens are separated by whitespace.
     *
     * @throws ListOpsSyntaxException naming the token position, what was expected and what was found
     */
    static ListOpsExpression parse(String source) {
        if (source == null) {
            throw new ListOpsSyntaxException(1, "a ListOps source", "null");
        }
        String trimmed = source.strip();
        String[] tokens = trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
        Deque<ListOpsOperator> operators = new ArrayDeque<>();
        Deque<List<ListOpsExpression>> argLists = new ArrayDeque<>();
        ListOpsExpression root = null;
        int parentheses = 0;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            int position = i + 1;
            if (t.equals("(")) {
                parentheses++;
                continue;
            }
            if (t.equals(")")) {
                if (parentheses == 0) {
                    throw new ListOpsSyntaxException(position, "a matching '(' before this ')'", "')' with no open '('");
                }
                parentheses--;
                continue;
            }
            ListOpsExpression done = null;
            ListOpsOperator op = ListOpsOperator.fromToken(t);
            if (op != null) {
                if (root != null) {
                    throw new ListOpsSyntaxException(position, "the end of the source after a complete expression", t);
                }
                operators.push(op);
                argLists.push(new ArrayList<>());
            } else if (t.equals("]")) {
                if (operators.isEmpty()) {
                    throw new ListOpsSyntaxException(position, "an operator to close", "']' with no open operator");
                }
                List<ListOpsExpression> args = argLists.pop();
                ListOpsOperator closing = operators.pop();
                if (args.isEmpty()) {
                    throw new ListOpsSyntaxException(position, "at least one argument of " + closing.token(), "']'");
                }
                done = new Apply(closing, args);
            } else if (t.length() == 1 && t.charAt(0) >= '0' && t.charAt(0) <= '9') {
                if (root != null) {
                    throw new ListOpsSyntaxException(position, "the end of the source after a complete expression", t);
                }
                done = new Digit(t.charAt(0) - '0');
            } else {
                throw new ListOpsSyntaxException(position, "one of [MIN [MAX [MED [SM ] ( ) or a digit 0-9",
                        "'" + t + "'");
            }
            if (done != null) {
                if (argLists.isEmpty()) {
                    root = done;
                } else {
                    argLists.peek().add(done);
                }
            }
        }
        int end = tokens.length + 1;
        if (!operators.isEmpty()) {
            throw new ListOpsSyntaxException(end, operators.size() + " more ']' to close "
                    + operators.peek().token(), "the end of the source");
        }
        if (parentheses != 0) {
            throw new ListOpsSyntaxException(end, parentheses + " more ')'", "the end of the source");
        }
        if (root == null) {
            throw new ListOpsSyntaxException(end, "an expression", "an empty source");
        }
        return root;
    }
}
