package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The MQAR generator: its layout, its answers, its seed and its errors. */
class MqarTest {

    private static Mqar.Builder small() {
        return Mqar.builder().optVocabSize(64).optKvPairs(8).optLength(64).optSeed(3);
    }

    @Test
    void keysAreDistinctAndEveryQueryAsksForTheValuePairedWithItsKeyEarlier() {
        Mqar gen = small().build();
        List<MqarExample> examples = gen.generate(300);
        for (MqarExample e : examples) {
            assertEquals(64, e.length());
            Map<Integer, Integer> pairs = new HashMap<>();
            Set<Integer> values = new HashSet<>();
            for (int j = 0; j < 8; j++) {
                int k = e.input(2 * j);
                int v = e.input(2 * j + 1);
                assertTrue(k >= 1 && k < 32, "key " + k + " in 1..31");
                assertTrue(v >= 32 && v < 64, "value " + v + " in 32..63");
                assertEquals(null, pairs.put(k, v), "key " + k + " twice in " + e);
                assertTrue(values.add(v), "value " + v + " twice in " + e);
                assertEquals(Mqar.IGNORE, e.target(2 * j));
                assertEquals(Mqar.IGNORE, e.target(2 * j + 1));
            }
            int[] asked = e.queryPositions();
            assertEquals(8, asked.length, "every key asked once (Q = K by default)");
            Set<Integer> askedKeys = new HashSet<>();
            for (int p : asked) {
                assertTrue(p >= 16 && (p - 16) % 2 == 0, "a query opens a two-token slot after the pairs: " + p);
                int key = e.input(p);
                assertTrue(pairs.containsKey(key), "query " + key + " at " + p + " is a key of the pairs");
                assertEquals(pairs.get(key).intValue(), e.target(p), "the answer is the value paired with " + key);
                assertTrue(askedKeys.add(key), "key " + key + " asked twice");
            }
            for (int i = 0; i < 64; i++) {
                assertTrue(e.input(i) >= 0 && e.input(i) < 64);
            }
        }
        assertEquals(examples.size(), new HashSet<>(examples).size(), "distinct examples");
    }

    @Test
    void fewerQueriesUniformSlotsAndZeroFiller() {
        Mqar gen = small().optQueries(3).optPowerA(1.0).optRandomFiller(false).build();
        int[] slotCounts = new int[24];
        for (MqarExample e : gen.generate(2000)) {
            int[] asked = e.queryPositions();
            assertEquals(3, asked.length);
            for (int i = 16; i < 64; i++) {
                final int at = i;
                boolean query = java.util.Arrays.stream(asked).anyMatch(p -> p == at);
                if (!query) {
                    assertEquals(Mqar.FILLER, e.input(i), "filler at " + i);
                }
            }
            for (int p : asked) {
                slotCounts[(p - 16) / 2]++;
            }
        }
        for (int c : slotCounts) { // 6000 queries over 24 slots: 250 each on average
            assertTrue(c > 170 && c < 330, "uniform slots: " + java.util.Arrays.toString(slotCounts));
        }
    }

    @Test
    void zoologysPowerLawPutsQueriesNearThePairsMoreOften() {
        int[] slotCounts = new int[24];
        for (MqarExample e : small().optQueries(1).build().generate(4000)) {
            slotCounts[(e.queryPositions()[0] - 16) / 2]++;
        }
        assertTrue(slotCounts[0] > 3 * slotCounts[23], java.util.Arrays.toString(slotCounts));
    }

    @Test
    void theSeedDecidesTheData() {
        List<MqarExample> a = small().build().generate(50);
        List<MqarExample> b = small().build().generate(50);
        List<MqarExample> c = small().optSeed(4).build().generate(50);
        assertEquals(a, b);
        assertNotEquals(a, c);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).inputs(), b.get(i).inputs());
            assertArrayEquals(a.get(i).targets(), b.get(i).targets());
        }
    }

    @Test
    void impossibleSettingsAreRefusedNamingWhatWasExpected() {
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                () -> Mqar.builder().optVocabSize(16).optKvPairs(8).build());
        assertTrue(vocab.getMessage().contains("vocabulary size: expected V >= 18") && vocab.getMessage()
                .endsWith("found 16"), vocab.getMessage());
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> Mqar.builder().optVocabSize(64).optKvPairs(8).optLength(31).build());
        assertTrue(length.getMessage().contains("sequence length: expected N >= 2K + 2Q = 32")
                && length.getMessage().endsWith("found 31"), length.getMessage());
        IllegalArgumentException queries = assertThrows(IllegalArgumentException.class,
                () -> Mqar.builder().optKvPairs(4).optQueries(5).build());
        assertTrue(queries.getMessage().contains("1 <= Q <= K = 4"), queries.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Mqar.builder().optKvPairs(0).build());
        assertThrows(IllegalArgumentException.class, () -> Mqar.builder().optPowerA(0).build());
        assertThrows(IllegalArgumentException.class, () -> Mqar.builder().build().generate(-1));
        // one pair of a 4-token vocabulary with zero filler: 1 key, 2 values, 1 slot: only 2 distinct sequences
        IllegalStateException few = assertThrows(IllegalStateException.class, () -> Mqar.builder().optVocabSize(4)
                .optKvPairs(1).optLength(4).optRandomFiller(false).optMaxAttempts(100).build().generate(3));
        assertTrue(few.getMessage().contains("expected 3 distinct examples, found 2"), few.getMessage());
    }

    @Test
    void anExampleIsImmutableAndChecked() {
        int[] in = {1, 3, 1, 0};
        int[] y = {-1, -1, 3, -1};
        MqarExample e = new MqarExample(in, y);
        in[0] = 9;
        e.inputs()[1] = 9;
        assertArrayEquals(new int[] {1, 3, 1, 0}, e.inputs());
        assertArrayEquals(new int[] {2}, e.queryPositions());
        assertThrows(IllegalArgumentException.class, () -> new MqarExample(new int[] {1}, new int[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new MqarExample(new int[] {1}, new int[] {-2}));
    }
}
