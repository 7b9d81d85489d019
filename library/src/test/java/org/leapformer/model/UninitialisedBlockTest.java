package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.Form;

/** A forward through a block that was never initialised names the block and the call to make. */
class UninitialisedBlockTest extends ManagedTest {

    private static void refused(Executable call, String block, String initialize) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().startsWith(block), e.getMessage());
        assertTrue(e.getMessage().contains("call " + initialize + " first"), e.getMessage());
    }

    private static NDList forward(NDManager m, Block b, NDArray... inputs) {
        return b.forward(new ParameterStore(m, false), new NDList(inputs), false);
    }

    @Test
    void modelsNameThemselvesAndTheCall() {
        String call = "initialize(manager, dataType[, seed])";
        try (NDManager m = manager.newSubManager()) {
            ModelConfig c = ModelConfigs.small(AttentionKind.LEAP).optNumClasses(3).build();
            NDArray ids = m.create(new long[] {1, 2, 3}, new Shape(1, 3));
            DecoderLM lm = new DecoderLM(c);
            refused(() -> forward(m, lm, ids), "DecoderLM(LEAP", call);
            refused(() -> lm.logits(ids), "DecoderLM(LEAP", call);
            refused(() -> lm.newSession(m, 1), "DecoderLM(LEAP", call);
            refused(() -> lm.generate(m, new int[] {1, 2}, 3, Sampling.greedyDecoding()), "DecoderLM(LEAP", call);
            EncoderClassifier classifier = new EncoderClassifier(c);
            refused(() -> forward(m, classifier, ids), "EncoderClassifier(", call);
            refused(() -> classifier.logits(ids), "EncoderClassifier(", call);
            SimulTranslator translator = new SimulTranslator(c);
            refused(() -> forward(m, translator, ids, ids), "SimulTranslator(LEAP", call);
            refused(() -> translator.logits(ids, null, ids, 2), "SimulTranslator(LEAP", call);
            refused(() -> translator.newStream(m, 1), "SimulTranslator(LEAP", call);
        }
    }

    @Test
    void leapAttentionNamesItselfAndTheCall() {
        String call = "initialize(manager, dataType)";
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(1);
            NDArray q = TestSupport.normal(m, DataType.FLOAT32, 0, 1, 2, 4, 8);
            LinearAttention leap = LinearAttention.builder().setHeadDim(8).build();
            refused(() -> forward(m, leap, q, q, q), "LinearAttention(LEAP", call);
            refused(() -> leap.bidirectional(q, q, q, null), "LinearAttention(LEAP", call);
            refused(() -> leap.causal(q, q, q, null, Form.RECURRENT), "LinearAttention(LEAP", call);
            refused(() -> leap.queryProportions(q), "LinearAttention(LEAP", call);
        }
    }

    @Test
    void attentionsWithoutParametersNeedNoInitialisation() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(1);
            NDArray q = TestSupport.normal(m, DataType.FLOAT32, 0, 1, 2, 4, 8);
            forward(m, LinearAttention.builder().setKind(AttentionKind.RELU_LINEAR).setHeadDim(8).build(), q, q, q);
            forward(m, LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(8).build(), q, q, q);
            forward(m, SoftmaxAttention.builder().build(), q, q, q);
        }
    }
}
