package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;

/** {@link Parameters#copyMatching}: what it copies, what it reports, and that nothing is shared. */
class CopyMatchingTest extends ManagedTest {

    private static Map<String, double[]> values(Block block) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> p : Parameters.paths(block).entrySet()) {
            try (NDArray f = p.getValue().getArray().toType(DataType.FLOAT64, true)) {
                out.put(p.getKey(), f.toDoubleArray());
            }
        }
        return out;
    }

    @Test
    void copiesSharedParametersAndReportsTheRest() {
        try (NDManager m = manager.newSubManager()) {
            // source: LeaP h=2, tied; target: LeaP h=16, untied, another seed
            DecoderLM from = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).optLeapHidden(2).build())
                    .initialize(m, DataType.FLOAT32, 1);
            DecoderLM to = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).optLeapHidden(16)
                    .optTiedEmbeddings(false).build()).initialize(m, DataType.FLOAT32, 2);
            Map<String, double[]> src = values(from);
            Map<String, double[]> before = values(to);
            List<NDArray> arrays = new ArrayList<>();
            for (Map.Entry<String, Parameter> p : Parameters.paths(to).entrySet()) {
                arrays.add(p.getValue().getArray());
            }

            Parameters.CopyReport r = Parameters.copyMatching(from, to);

            assertEquals(List.of("head_weight"), r.missingInSource());
            assertEquals(List.of(), r.missingInTarget());
            assertFalse(r.complete());
            // per layer and module (q, k): W1 (2, 8) vs (16, 8), b1 (2) vs (16), W2 (1, 2) vs (1, 16); b2 (1) matches
            assertEquals(2 * 2 * 3, r.shapeMismatches().size(), r.toString());
            for (Parameters.ShapeMismatch s : r.shapeMismatches()) {
                assertTrue(s.path().matches("backbone_layer\\d_attention_core_leap_[qk]_(W1|b1|W2)"), s.toString());
                assertEquals(Parameters.paths(from).get(s.path()).getArray().getShape(), s.source());
                assertEquals(Parameters.paths(to).get(s.path()).getArray().getShape(), s.target());
            }
            assertEquals(Parameters.paths(to).size() - 1 - r.shapeMismatches().size(), r.copied().size());
            Map<String, double[]> after = values(to);
            for (String path : r.copied()) {
                assertTrue(Arrays.equals(src.get(path), after.get(path)), "copied " + path);
            }
            for (Parameters.ShapeMismatch s : r.shapeMismatches()) {
                assertTrue(Arrays.equals(before.get(s.path()), after.get(s.path())), "left " + s.path());
            }
            assertTrue(Arrays.equals(before.get("head_weight"), after.get("head_weight")), "left head_weight");
            int i = 0;
            for (Map.Entry<String, Parameter> p : Parameters.paths(to).entrySet()) {
                assertSame(arrays.get(i++), p.getValue().getArray(), p.getKey() + ": the same array");
                assertTrue(JniUtils.requiresGrad((PtNDArray) p.getValue().getArray()), p.getKey() + ": still requires a gradient");
            }

            // no memory shared: changing the source afterwards leaves the target as it is
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            try {
                for (Map.Entry<String, Parameter> p : Parameters.paths(from).entrySet()) {
                    p.getValue().getArray().set(new NDIndex("..."), 7);
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
            Map<String, double[]> later = values(to);
            for (String path : r.copied()) {
                assertTrue(Arrays.equals(after.get(path), later.get(path)), "unchanged " + path);
            }
        }
    }

    @Test
    void theSameConfigurationCopiesCompletelyAndGivesTheSameOutputs() {
        try (NDManager m = manager.newSubManager()) {
            ModelConfig c = ModelConfigs.small(AttentionKind.LEAP).build();
            SimulTranslator from = new SimulTranslator(c).initialize(m, DataType.FLOAT32, 5);
            SimulTranslator to = new SimulTranslator(c).initialize(m, DataType.FLOAT32, 6);
            Parameters.CopyReport r = Parameters.copyMatching(from, to);
            assertTrue(r.complete(), r.toString());
            assertEquals(Parameters.paths(from).size(), r.copied().size());
            NDArray source = m.create(new long[] {3, 4, 5, 6}, new Shape(1, 4));
            NDArray target = m.create(new long[] {1, 7, 8}, new Shape(1, 3));
            ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(m, false);
            TestSupport.assertClose(from.logits(ps, source, null, target, 2, false),
                    to.logits(ps, source, null, target, 2, false), 0, "logits after a complete copy");
        }
    }

    @Test
    void copiesAcrossDataTypesAndModelTypes() {
        try (NDManager m = manager.newSubManager()) {
            // a classifier's backbone into a float64 language model: the backbone is shared
            EncoderClassifier from = new EncoderClassifier(ModelConfigs.small(AttentionKind.SOFTMAX).optNumClasses(3)
                    .optPositions(Positions.LEARNED).build()).initialize(m, DataType.FLOAT32, 1);
            DecoderLM to = new DecoderLM(ModelConfigs.small(AttentionKind.SOFTMAX)
                    .optPositions(Positions.LEARNED).build()).initialize(m, DataType.FLOAT64, 2);
            Parameters.CopyReport r = Parameters.copyMatching(from, to);
            assertEquals(List.of("head_weight", "head_bias"), r.missingInTarget());
            assertEquals(List.of(), r.missingInSource());
            assertEquals(List.of(), r.shapeMismatches());
            Map<String, double[]> src = values(from);
            Map<String, double[]> dst = values(to);
            for (String path : r.copied()) {
                assertTrue(path.startsWith("backbone_"), path);
                assertTrue(Arrays.equals(src.get(path), dst.get(path)), "copied " + path);
                assertEquals(DataType.FLOAT64, Parameters.paths(to).get(path).getArray().getDataType());
            }
        }
    }

    @Test
    void anUninitialisedBlockIsRefused() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM ready = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build())
                    .initialize(m, DataType.FLOAT32, 1);
            DecoderLM bare = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Parameters.copyMatching(ready, bare));
            assertTrue(e.getMessage().contains("of the target block: expected an initialised array"), e.getMessage());
        }
    }
}
