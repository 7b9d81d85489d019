package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;

/** Language-modelling windows and ListOps batches: shapes, shifted targets, reproducible shuffles, DJL datasets. */
class BatchingTest {

    private static int[] range(int n) {
        return TokenWindows.identity(n);
    }

    @Test
    void windowTargetsAreTheInputsShiftedByOneToken() {
        TokenWindows w = TokenWindows.of(range(23), 5);
        assertEquals(4, w.size(), "(23 - 1) / 5 windows");
        assertArrayEquals(new int[] {10, 11, 12, 13, 14}, w.input(2));
        assertArrayEquals(new int[] {11, 12, 13, 14, 15}, w.target(2));
        assertArrayEquals(new int[] {16, 17, 18, 19, 20}, w.target(3));
    }

    @Test
    void batchesHaveShapeBByNAndTheLastHoldsTheRest() {
        List<TokenWindows.Batch> batches = TokenWindows.of(range(101), 4).batches(7, false, 0, 0);
        assertEquals(4, batches.size(), "25 windows in batches of 7");
        assertEquals(7, batches.get(0).batchSize());
        assertEquals(4, batches.get(0).input()[6].length);
        assertEquals(4, batches.get(3).batchSize());
        assertArrayEquals(new int[] {0, 1, 2, 3}, batches.get(0).input()[0]);
    }

    @Test
    void shufflingIsReproduciblePerSeedAndEpochAndVisitsEveryWindowOnce() {
        TokenWindows w = TokenWindows.of(range(401), 4);
        List<TokenWindows.Batch> a = w.batches(8, true, 42, 0);
        List<TokenWindows.Batch> again = w.batches(8, true, 42, 0);
        List<TokenWindows.Batch> nextEpoch = w.batches(8, true, 42, 1);
        assertTrue(Arrays.deepEquals(a.get(0).input(), again.get(0).input()));
        assertFalse(Arrays.deepEquals(a.get(0).input(), nextEpoch.get(0).input()));
        List<Integer> starts = new ArrayList<>();
        for (TokenWindows.Batch b : a) {
            for (int[] row : b.input()) {
                starts.add(row[0]);
            }
        }
        starts.sort(null);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add(i * 4);
        }
        assertEquals(expected, starts);
    }

    @Test
    void theSplitKeepsTheHeadForTrainingAndTheTailForValidation() {
        TokenWindows.Split s = TokenWindows.split(range(100), 0.1);
        assertEquals(90, s.train().length);
        assertEquals(90, s.valid()[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenWindows.split(range(5), 1.0));
        assertEquals("validation fraction: expected a value in [0, 1), found 1.0", e.getMessage());
        IllegalArgumentException shortStream = assertThrows(IllegalArgumentException.class,
                () -> TokenWindows.of(range(5), 5));
        assertEquals("token ids: expected at least N + 1 = 6 for one window, found 5", shortStream.getMessage());
    }

    @Test
    void listOpsBatchesHoldIdsMasksAndLabels() {
        List<ListOpsExample> examples = ListOps.builder().optSeed(9).optMaxDepth(3).optLengthRange(4, 24).build()
                .generate(10);
        List<ListOpsBatches.Batch> batches = ListOpsBatches.of(examples, 16, 4, false, 0, 0);
        assertEquals(3, batches.size());
        ListOpsBatches.Batch b = batches.get(0);
        assertEquals(4, b.batchSize());
        assertEquals(2, batches.get(2).batchSize());
        assertEquals(16, b.ids()[0].length);
        assertEquals(16, b.mask()[3].length);
        for (int r = 0; r < b.batchSize(); r++) {
            ListOpsExample x = examples.get(r);
            assertArrayEquals(ListOpsVocabulary.encode(x.source(), 16).ids(), b.ids()[r]);
            assertEquals(x.target(), b.labels()[r]);
            assertEquals(Math.min(16, x.expression().length()), Arrays.stream(b.mask()[r]).sum());
        }
        List<ListOpsBatches.Batch> shuffled = ListOpsBatches.of(examples, 16, 4, true, 1, 0);
        List<ListOpsBatches.Batch> again = ListOpsBatches.of(examples, 16, 4, true, 1, 0);
        assertTrue(Arrays.deepEquals(shuffled.get(0).ids(), again.get(0).ids()));
    }

    @Test
    void djlDatasetsBatchWindowsAndListOpsExamplesReproducibly() throws Exception {
        LeapEngine.ensureInitialized();
        try (NDManager m = NDManager.newBaseManager()) {
            TokenWindowDataset lm = TokenWindowDataset.builder().setWindows(TokenWindows.of(range(41), 4))
                    .setSeededSampling(3, 5).build();
            List<long[]> firstEpoch = new ArrayList<>();
            for (Batch b : lm.getData(m)) {
                NDList data = b.getData();
                NDList labels = b.getLabels();
                assertEquals(new Shape(3, 4), data.singletonOrThrow().getShape());
                assertEquals(DataType.INT32, data.singletonOrThrow().getDataType());
                assertArrayEquals(data.singletonOrThrow().add(1).toIntArray(), labels.singletonOrThrow().toIntArray());
                firstEpoch.add(data.singletonOrThrow().toType(DataType.INT64, false).toLongArray());
                b.close();
            }
            assertEquals(3, firstEpoch.size(), "10 windows, batches of 3, the last one dropped");
            TokenWindowDataset same = TokenWindowDataset.builder().setWindows(TokenWindows.of(range(41), 4))
                    .setSeededSampling(3, 5).build();
            Batch first = same.getData(m).iterator().next();
            assertArrayEquals(firstEpoch.get(0), first.getData().singletonOrThrow().toType(DataType.INT64, false)
                    .toLongArray());
            first.close();

            List<ListOpsExample> examples = ListOps.builder().optSeed(2).optMaxDepth(3).optLengthRange(4, 20).build()
                    .generate(8);
            ListOpsDataset listOps = ListOpsDataset.builder().setExamples(examples).setLength(20)
                    .setSeededSampling(4, 0).build();
            Batch b = listOps.getData(m).iterator().next();
            assertEquals(new Shape(4, 20), b.getData().get(0).getShape());
            assertEquals(new Shape(4, 20), b.getData().get(1).getShape());
            assertEquals(new Shape(4), b.getLabels().singletonOrThrow().getShape());
            b.close();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ListOpsDataset.builder().setExamples(List.of()).setSeededSampling(2, 0).build());
        assertEquals("length: expected a positive N set with setLength, found 0", e.getMessage());
    }
}
