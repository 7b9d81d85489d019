package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LeapModule;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;

/**
 * DJL's own persistence for every block the library ships: {@code saveParameters} then
 * {@code loadParameters} into a fresh block (initialised with another seed, so a load that reads
 * nothing is caught), {@code Model.save}/{@code Model.load} and {@code Criteria.loadModel}; the
 * outputs after the load equal the original's exactly.
 */
class DjlSaveLoadTest extends ManagedTest {

    private static final long SEED = 3;
    private static final long OTHER_SEED = 4;

    /** A block of the library: how to build one initialised from a seed, and a fixed input for it. */
    private record Case(String name, BiFunction<NDManager, Long, AbstractBlock> build,
            Function<NDManager, NDList> input, boolean hasParameters) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static AbstractBlock seeded(AbstractBlock b, NDManager m, Long seed, Shape... shapes) {
        b.initialize(m, DataType.FLOAT32, shapes);
        Parameters.reinitialize(b, seed);
        return b;
    }

    private static NDList qkv(NDManager m) {
        TestSupport.seed(11);
        NDArray q = TestSupport.normal(m, DataType.FLOAT32, 0, 2, 2, 5, 8);
        NDArray k = TestSupport.normal(m, DataType.FLOAT32, 0, 2, 2, 5, 8);
        NDArray v = TestSupport.normal(m, DataType.FLOAT32, 0, 2, 2, 5, 8);
        return new NDList(q, k, v);
    }

    private static NDList ids(NDManager m) {
        return new NDList(m.create(new long[] {1, 4, 2, 7, 3, 9, 10, 0, 5, 6}, new Shape(2, 5)));
    }

    private static NDList hidden(NDManager m) {
        TestSupport.seed(12);
        return new NDList(TestSupport.normal(m, DataType.FLOAT32, 0, 2, 5, 16));
    }

    private static NDList translation(NDManager m) {
        return new NDList(m.create(new long[] {3, 4, 5, 6, 7, 8, 9, 1}, new Shape(2, 4)),
                m.create(new long[] {1, 7, 8, 1, 2, 3}, new Shape(2, 3)));
    }

    static Stream<Case> blocks() {
        Shape x = new Shape(1, 1, 1, 8);
        List<Case> cases = new ArrayList<>();
        for (AttentionKind kind : new AttentionKind[] {AttentionKind.LEAP, AttentionKind.COSFORMER,
                AttentionKind.RELU_LINEAR}) {
            for (boolean causal : new boolean[] {false, true}) {
                cases.add(new Case("LinearAttention " + kind + (causal ? " causal" : ""), (m, s) -> seeded(
                        LinearAttention.builder().setKind(kind).setHeadDim(8).optCausal(causal).optChunkSize(4)
                                .optSequenceLength(16).build(), m, s, x, x, x),
                        DjlSaveLoadTest::qkv, kind == AttentionKind.LEAP));
            }
        }
        cases.add(new Case("LinearAttention LEAP h=1", (m, s) -> seeded(
                LinearAttention.builder().setHeadDim(8).optLeapHidden(1).build(), m, s, x, x, x),
                DjlSaveLoadTest::qkv, true));
        cases.add(new Case("SoftmaxAttention", (m, s) -> seeded(SoftmaxAttention.builder().optCausal(true).build(),
                m, s, x, x, x), DjlSaveLoadTest::qkv, false));
        cases.add(new Case("LeapModule", (m, s) -> seeded(new LeapModule(8, 2), m, s, x),
                m -> new NDList(qkv(m).get(0)), true));
        for (AttentionKind kind : AttentionKind.values()) {
            ModelConfig c = ModelConfigs.small(kind).optNumClasses(3).build();
            Shape h = new Shape(1, 1, 16);
            cases.add(new Case("TransformerLayer " + kind, (m, s) -> seeded(new TransformerLayer(c, true), m, s, h),
                    DjlSaveLoadTest::hidden, true));
            cases.add(new Case("Backbone " + kind, (m, s) -> seeded(new Backbone(c, false), m, s, new Shape(1, 1)),
                    DjlSaveLoadTest::ids, true));
            cases.add(new Case("DecoderLM " + kind, (m, s) -> new DecoderLM(c).initialize(m, DataType.FLOAT32, s),
                    DjlSaveLoadTest::ids, true));
            cases.add(new Case("EncoderClassifier " + kind,
                    (m, s) -> new EncoderClassifier(c).initialize(m, DataType.FLOAT32, s), DjlSaveLoadTest::ids,
                    true));
            if (kind != AttentionKind.COSFORMER) {
                cases.add(new Case("SimulTranslator " + kind,
                        (m, s) -> new SimulTranslator(c).initialize(m, DataType.FLOAT32, s),
                        DjlSaveLoadTest::translation, true));
            }
        }
        return cases.stream();
    }

    private static float[] forward(NDManager m, AbstractBlock block, NDList input) {
        NDList out = block.forward(new ParameterStore(m, false), input, false);
        return out.singletonOrThrow().toFloatArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void saveParametersThenLoadParametersGivesTheSameOutputs(Case c) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            AbstractBlock original = c.build().apply(m, SEED);
            NDList input = c.input().apply(m);
            float[] expected = forward(m, original, input);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream os = new DataOutputStream(bytes)) {
                original.saveParameters(os);
            }

            AbstractBlock fresh = c.build().apply(m, OTHER_SEED);
            if (c.hasParameters()) {
                assertFalse(Arrays.equals(expected, forward(m, fresh, input)),
                        "the other seed gives other outputs, so a load that reads nothing is caught");
            }
            DataInputStream is = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
            fresh.loadParameters(m, is);
            assertTrue(is.read() == -1, "the load read everything the save wrote");
            assertArrayEquals(expected, forward(m, fresh, input), "outputs after the round trip");
        }
    }

    /** A DecoderLM initialised from SEED, saved by Model.save(dir, "lm"); its outputs on {@code input}. */
    private static float[] saveLm(Path dir, ModelConfig c, NDManager m, NDList input) throws Exception {
        try (Model model = Model.newInstance("lm")) {
            DecoderLM lm = new DecoderLM(c).initialize(model.getNDManager(), DataType.FLOAT32, SEED);
            model.setBlock(lm);
            float[] expected = forward(m, lm, input);
            model.save(dir, "lm");
            return expected;
        }
    }

    @Test
    void modelSaveThenModelLoad(@TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfigs.small(AttentionKind.LEAP).build();
        try (NDManager m = manager.newSubManager()) {
            NDList input = ids(m);
            float[] expected = saveLm(dir, c, m, input);
            try (Model model = Model.newInstance("lm")) {
                DecoderLM fresh = new DecoderLM(c).initialize(model.getNDManager(), DataType.FLOAT32, OTHER_SEED);
                model.setBlock(fresh);
                model.load(dir, "lm");
                assertArrayEquals(expected, forward(m, fresh, input), "outputs after Model.save and Model.load");
            }
        }
    }

    @Test
    void modelSaveThenCriteriaLoadModel(@TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfigs.small(AttentionKind.LEAP).build();
        try (NDManager m = manager.newSubManager()) {
            NDList input = ids(m);
            float[] expected = saveLm(dir, c, m, input);
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(dir).optModelName("lm").optBlock(new DecoderLM(c)).optEngine("PyTorch").build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel();
                    Predictor<NDList, NDList> predictor = model.newPredictor()) {
                NDList out = predictor.predict(input);
                assertArrayEquals(expected, out.singletonOrThrow().toFloatArray(),
                        "outputs after Model.save and Criteria.loadModel (a block never initialised)");
            }
        }
    }
}
