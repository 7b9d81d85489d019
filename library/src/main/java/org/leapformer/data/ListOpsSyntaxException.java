package org.leapformer.data;

/**
 * A ListOps source that does not parse: an unknown token, an unbalanced bracket or parenthesis,
 * an operator without arguments, or more than one expression. Names the 1-based token position,
 * what was expected and what was found.
 */
public class ListOpsSyntaxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int token;
    private final String expected;
    private final String found;

    /**
     * @param token 1-based position of the offending token among the whitespace-separated
     *     tokens, or the token count + 1 when the source ended too early
     * @param expected what the parser expected
     * @param found what it found
     */
    public ListOpsSyntaxException(int token, String expected, String found) {
        super("ListOps token " + token + ": expected " + expected + ", found " + found);
        this.token = token;
        this.expected = expected;
        this.found = found;
    }

    /** 1-based position of the offending token. */
    public int token() {
        return token;
    }

    /** What the parser expected. */
    public String expected() {
        return expected;
    }

    /** What it found. */
    public String found() {
        return found;
    }
}
