package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ListOps evaluator on hand-computed expressions, the generator's bounds and determinism, the vocabulary. */
class ListOpsTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ] | 5",
        "[SM 9 8 [MED 1 2 ] ] | 8",
        "[MIN [MAX 3 7 ] [SM 5 6 ] ] | 1",
        "[MED 3 4 6 9 ] | 5",
        "[MED 2 3 ] | 2",
        "[SM [SM 9 9 9 ] [MAX 0 [MIN 7 8 ] ] 5 ] | 9",
        "[MED [MAX 1 2 ] [MIN 9 8 ] [SM 4 4 ] [MED 0 9 ] ] | 6",
        "( ( ( [MAX 4 ) 3 ) ] ) | 4",
        "7 | 7",
    })
    void theEvaluatorGivesHandComputedValuesOfNestedExpressions(String source, int expected) {
        assertEquals(expected, ListOpsExpression.parse(source).value());
    }

    @Test
    void theParenthesisedFormWrapsAnOperatorWithKArgumentsInKPlusOneParentheses() {
        ListOpsExpression e = ListOpsExpression.parse("[MAX 4 [MIN 2 3 ] ]");
        assertEquals("( ( ( [MAX 4 ) ( ( ( [MIN 2 ) 3 ) ] ) ) ] )", e.toSource(true));
        assertEquals("[MAX 4 [MIN 2 3 ] ]", e.toSource(false));
        assertEquals(e, ListOpsExpression.parse(e.toSource(true)));
        assertEquals(7, e.length());
        assertEquals(3, e.depth());
    }

    @Test
    void parseErrorsNameTheTokenAndWhatWasExpected() {
        ListOpsSyntaxException unknown = assertThrows(ListOpsSyntaxException.class,
                () -> ListOpsExpression.parse("[MAX 4 [AVG 1 2 ] ]"));
        assertEquals(3, unknown.token());
        assertTrue(unknown.getMessage().contains("expected one of [MIN [MAX [MED [SM ] ( ) or a digit 0-9, found '[AVG'"),
                unknown.getMessage());
        ListOpsSyntaxException open = assertThrows(ListOpsSyntaxException.class,
                () -> ListOpsExpression.parse("[MAX 4 [MIN 1 2 ]"));
        assertTrue(open.getMessage().contains("expected 1 more ']' to close [MAX, found the end of the source"),
                open.getMessage());
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse("[MAX 4 ] ]"));
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse("( [MAX 4 ]"));
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse("[MAX ]"));
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse("[MAX 4 ] 5"));
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse("12"));
        assertThrows(ListOpsSyntaxException.class, () -> ListOpsExpression.parse(" "));
    }

    @Test
    void theSameSeedGivesTheSameExamplesAndAnotherSeedOthers() {
        ListOps.Builder b = ListOps.builder().optMaxDepth(5).optLengthRange(10, 80);
        List<ListOpsExample> first = b.optSeed(3).build().generate(50);
        List<ListOpsExample> again = b.optSeed(3).build().generate(50);
        List<ListOpsExample> other = b.optSeed(4).build().generate(50);
        assertEquals(first, again);
        assertNotEquals(first, other);
    }

    @Test
    void generatedExamplesRespectDepthAndLengthBoundsAndTheirTargetsAreTheirValues() {
        List<ListOpsExample> examples = ListOps.builder().optSeed(11).optMaxDepth(4).optMaxArgs(5)
                .optLengthRange(12, 40).build().generate(300);
        assertEquals(300, examples.stream().map(ListOpsExample::source).distinct().count());
        for (ListOpsExample x : examples) {
            ListOpsExpression e = x.expression();
            assertTrue(e.depth() <= 4, "depth " + e.depth() + " of " + x.source());
            assertTrue(e.length() >= 12 && e.length() <= 40, "length " + e.length() + " of " + x.source());
            assertEquals(e.value(), x.target(), x.source());
            assertEquals(x.source(), e.toSource(true));
            assertEquals(e.length(), ListOpsVocabulary.ids(x.source()).length);
        }
    }

    @Test
    void lraDefaultsGiveExpressionsOfLength501To1999() {
        ListOpsExample x = ListOps.builder().optSeed(1).build().next();
        int length = x.expression().length();
        assertTrue(length >= ListOps.LRA_MIN_LENGTH && length <= ListOps.LRA_MAX_LENGTH, "length " + length);
    }

    @Test
    void onlyTheChosenOperatorsAreDrawnAndThePlainFormCanBeChosen() {
        List<ListOpsExample> examples = ListOps.builder().optSeed(2).optMaxDepth(3).optLengthRange(4, 30)
                .optOperators(EnumSet.of(ListOpsOperator.SUM_MOD)).optParentheses(false).build().generate(40);
        for (ListOpsExample x : examples) {
            assertFalse(x.source().contains("(") || x.source().contains("[M"), x.source());
        }
    }

    @Test
    void theBuilderRejectsImpossibleSettingsNamingExpectedAndFound() {
        IllegalArgumentException depth = assertThrows(IllegalArgumentException.class,
                () -> ListOps.builder().optMaxDepth(1).build());
        assertEquals("ListOps max depth: expected at least 2 (one operator over digits), found 1", depth.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> ListOps.builder().optLengthRange(50, 10).build());
        assertTrue(range.getMessage().contains("found 50..10"), range.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> ListOps.builder().optMaxDepth(2).optMaxArgs(3).optLengthRange(6, 9).build());
        assertEquals("ListOps min length: expected at most 5, the longest expression max depth 2 and max args 3 allow,"
                + " found 6", tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ListOps.builder().optOperators(EnumSet.noneOf(
                ListOpsOperator.class)).build());
    }

    @Test
    void encodingDropsParenthesesPadsWithZeroAndMasksRealTokens() {
        ListOpsVocabulary.Encoded plain = ListOpsVocabulary.encode("[MAX 4 3 ]", 6);
        ListOpsVocabulary.Encoded parenthesised = ListOpsVocabulary.encode("( ( ( [MAX 4 ) 3 ) ] )", 6);
        int max = ListOpsVocabulary.OPERATOR_BASE + ListOpsOperator.MAX.ordinal();
        int[] expected = {max, ListOpsVocabulary.DIGIT_BASE + 4, ListOpsVocabulary.DIGIT_BASE + 3,
            ListOpsVocabulary.CLOSE, 0, 0};
        assertArrayEquals(expected, plain.ids());
        assertArrayEquals(expected, parenthesised.ids());
        assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0}, plain.mask());
        assertEquals("[MAX 4 3 ]", ListOpsVocabulary.decode(plain.ids()));
        assertEquals(16, ListOpsVocabulary.SIZE);
    }

    @Test
    void encodingTruncatesLongSourcesToTheFirstNTokens() {
        ListOpsVocabulary.Encoded e = ListOpsVocabulary.encode("[SM 1 2 3 4 ]", 3);
        assertEquals("[SM 1 2", ListOpsVocabulary.decode(e.ids()));
        assertArrayEquals(new int[] {1, 1, 1}, e.mask());
        assertTrue(e.truncated());
        assertEquals(6, e.sourceLength());
    }
}
