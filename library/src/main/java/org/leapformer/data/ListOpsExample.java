package org.leapformer.data;

/**
 * One ListOps example: a source in either written form (see {@link ListOpsExpression}) and its
 * target digit, as in a row of the LRA TSV files.
 *
 * @param source the expression as written, tokens separated by spaces
 * @param target the value of the expression, 0-9
 */
public record ListOpsExample(String source, int target) {

    /** Checks that the source is present and the target is a digit. */
    public ListOpsExample {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("ListOps source: expected an expression, found "
                    + (source == null ? "null" : "a blank string"));
        }
        if (target < 0 || target > 9) {
            throw new IllegalArgumentException("ListOps target: expected a digit 0-9, found " + target);
        }
    }

    /** An example whose target is the value of {@code expression}. */
    public static ListOpsExample of(ListOpsExpression expression, boolean parentheses) {
        return new ListOpsExample(expression.toSource(parentheses), expression.value());
    }

    /** The parsed source. */
    public ListOpsExpression expression() {
        return ListOpsExpression.parse(source);
    }
}
