package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Form;

/** Token-by-token decoding gives the logits of the parallel pass, in constant memory per token. */
class DecodingTest {

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = LeapEngine.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    private static DecoderLM model(NDManager m, AttentionKind kind, int maxLength) {
        TestSupport.seed(11);
        ModelConfig c = ModelConfigs.small(kind).setMaxLength(maxLength).build();
        return new DecoderLM(c).initialize(m, DataType.FLOAT32);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void tokenByTokenDecodingGivesTheLogitsOfTheParallelPass(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, kind, 13); // chunk 4 does not divide 13
            NDArray ids = m.randomInteger(0, 11, new Shape(2, 13), DataType.INT64);
            NDArray parallel = lm.logits(ids); // chunked form
            NDArray quadratic = lm.logits(new ai.djl.training.ParameterStore(m, false), ids, Form.QUADRATIC, false);
            TestSupport.assertClose(quadratic, parallel, 1e-5, "chunked vs quadratic");
            List<NDArray> steps = new ArrayList<>();
            try (NDManager longLived = m.newSubManager(); DecoderLM.Session s = lm.newSession(longLived, 2)) {
                for (int t = 0; t < 13; t++) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray tok = ids.get(new NDIndex(":, {}:{}", t, t + 1)).toType(DataType.INT64, false);
                        tok.attach(step);
                        NDArray l = s.feed(tok, Form.RECURRENT);
                        l.attach(m);
                        steps.add(l);
                    }
                }
                assertEquals(13, s.length());
            }
            NDArray sequential = NDArrays.concat(new NDList(steps.toArray(new NDArray[0])), 1);
            TestSupport.assertClose(parallel, sequential, 1e-5, kind + " decoded logits");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = AttentionKind.class, names = {"LEAP", "RELU_LINEAR", "COSFORMER"})
    void aPrefilledPromptContinuesLikeTheParallelPass(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, kind, 12);
            NDArray ids = m.randomInteger(0, 11, new Shape(1, 12), DataType.INT64);
            NDArray parallel = lm.logits(ids);
            try (DecoderLM.Session s = lm.newSession(m, 1)) {
                NDArray first = s.feed(ids.get(":, 0:7"), Form.CHUNKED);
                NDArray rest = s.feed(ids.get(":, 7:12"), Form.RECURRENT);
                TestSupport.assertClose(parallel, first.concat(rest, 1), 1e-5, "prefill + recurrent");
            }
        }
    }

    @Test
    void decodingDoesNotGrowNativeMemoryPerToken() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, AttentionKind.LEAP, 256);
            try (NDManager longLived = m.newSubManager(); DecoderLM.Session s = lm.newSession(longLived, 1)) {
                int[] held = new int[201];
                int[] all = new int[201];
                for (int t = 0; t <= 200; t++) {
                    try (NDManager step = m.newSubManager()) {
                        s.feed(step.create(new long[] {t % 11}, new Shape(1, 1)), Form.RECURRENT).close();
                    }
                    held[t] = longLived.getManagedArrays().size();
                    all[t] = m.getManagedArrays().size();
                }
                assertEquals(held[10], held[200], "arrays held by the session after 10 and after 200 tokens");
                assertEquals(all[10], all[200], "arrays alive in the model's manager after 10 and 200 tokens");
            }
        }
    }

    @Test
    void greedyGenerationIsTheArgmaxOfTheParallelLogits() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, AttentionKind.LEAP, 16);
            int[] prompt = {1, 2, 3};
            int[] gen = lm.generate(m, prompt, 6, Sampling.greedyDecoding());
            long[] all = new long[prompt.length + gen.length];
            for (int i = 0; i < prompt.length; i++) {
                all[i] = prompt[i];
            }
            for (int i = 0; i < gen.length; i++) {
                all[prompt.length + i] = gen[i];
            }
            NDArray logits = lm.logits(m.create(all, new Shape(1, all.length)));
            long[] argmax = logits.argMax(2).toLongArray();
            for (int i = 0; i < gen.length; i++) {
                assertEquals(argmax[prompt.length - 1 + i], gen[i], "token " + i);
            }
        }
    }

    @Test
    void sampledGenerationIsReproducibleForASeed() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, AttentionKind.RELU_LINEAR, 40);
            int[] a = lm.generate(m, new int[] {4}, 30, Sampling.sample(1.5, 5, 7));
            int[] b = lm.generate(m, new int[] {4}, 30, Sampling.sample(1.5, 5, 7));
            int[] c = lm.generate(m, new int[] {4}, 30, Sampling.sample(1.5, 5, 8));
            assertArrayEquals(a, b);
            assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
        }
    }

    @Test
    void topOneSamplingIsGreedy() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, AttentionKind.LEAP, 16);
            assertArrayEquals(lm.generate(m, new int[] {2, 5}, 8, Sampling.greedyDecoding()),
                    lm.generate(m, new int[] {2, 5}, 8, Sampling.sample(0.7, 1, 3)));
        }
    }
}
