package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.data.Mqar;
import org.leapformer.data.MqarExample;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfig;
import org.leapformer.nn.AttentionKind;

/** MQAR through the causal language model: scored at the queries only, and learned by softmax attention. */
class MqarTrainingTest extends ManagedTest {

    @Test
    void theLossAndAccuracyCountTheQueriesAlone() {
        // k=1 v=4 k=2 v=5, then a query of key 2 at position 4 (answer 5) and of key 1 at 6 (answer 4)
        MqarExample e = new MqarExample(new int[] {1, 4, 2, 5, 2, 0, 1, 0}, new int[] {-1, -1, -1, -1, 5, -1, 4, -1});
        try (NDManager m = manager.newSubManager()) {
            List<TrainingBatch> batches = new java.util.ArrayList<>();
            DataSources.mqarEval(List.of(e), 4).batches(m).forEach(batches::add);
            assertEquals(1, batches.size());
            TrainingBatch b = batches.get(0);
            assertEquals(new Shape(1, 8), b.labels().get(0).getShape());
            // logits: every non-query position is confidently wrong, query 1 right (p = 0.5), query 2 wrong
            float[] logits = new float[8 * 6];
            for (int i = 0; i < 8; i++) {
                logits[i * 6 + 3] = 9; // id 3 is never a target
            }
            logits[4 * 6 + 3] = 0;
            logits[4 * 6 + 5] = (float) Math.log(5); // p(5) = 5 / (5 + 5 · e^0) = 0.5 at position 4
            logits[6 * 6 + 5] = 2; // position 6 answers 5, not 4
            try (NDArray l = m.create(logits, new Shape(1, 8, 6))) {
                NDArray[] s = Losses.sums(l, b.labels().get(0));
                double loss = s[0].toType(DataType.FLOAT64, false).getDouble();
                double count = s[1].toType(DataType.FLOAT64, false).getDouble();
                double correct = s[2].toType(DataType.FLOAT64, false).getDouble();
                for (NDArray a : s) {
                    a.close();
                }
                // position 6: logits 0,0,0,9,0,2 over ids 0..5, the answer 4 has logit 0
                double z6 = 4 + Math.exp(9) + Math.exp(2);
                assertEquals(2, count, "two queries, the six other positions ignored");
                assertEquals(1, correct, "one query answered exactly");
                assertEquals(-Math.log(0.5) + Math.log(z6), loss, 1e-4);
            }
            b.close();
        }
    }

    @Test
    void evaluationIsTheFractionOfQueriesAnsweredExactly() {
        Mqar gen = Mqar.builder().optVocabSize(16).optKvPairs(3).optLength(12).optSeed(2).build();
        List<MqarExample> examples = gen.generate(10);
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = new DecoderLM(ModelConfig.builder().optKind(AttentionKind.SOFTMAX).setVocabSize(16)
                    .setMaxLength(12).optDModel(16).optHeads(2).optHeadDim(8).optFfnDim(32).optLayers(1)
                    .optDropout(0.0).build()).initialize(m, DataType.FLOAT32, 4);
            int asked = 0;
            int right = 0;
            double nll = 0;
            for (MqarExample e : examples) {
                long[] ids = java.util.Arrays.stream(e.inputs()).asLongStream().toArray();
                try (NDArray x = m.create(ids, new Shape(1, 12)); NDArray logits = model.logits(x);
                        NDArray logp = logits.logSoftmax(-1)) {
                    float[] lp = logp.toFloatArray();
                    for (int p : e.queryPositions()) {
                        int best = 0;
                        for (int v = 1; v < 16; v++) {
                            best = lp[p * 16 + v] > lp[p * 16 + best] ? v : best;
                        }
                        asked++;
                        right += best == e.target(p) ? 1 : 0;
                        nll -= lp[p * 16 + e.target(p)];
                    }
                }
            }
            assertEquals(30, asked);
            try (Trainer t = new Trainer(Tasks.languageModel(model), TrainingConfig.builder().setSteps(1).build())) {
                Map<String, Double> metrics = t.evaluate(DataSources.mqarEval(examples, 4));
                assertEquals((double) right / asked, metrics.get("accuracy"), 1e-12);
                assertEquals(nll / asked, metrics.get("loss"), 1e-4);
            }
        }
    }

    /**
     * Softmax attention learns MQAR. Two layers are needed (the query finds its key, the value is
     * the token after it) and the learning is a phase transition: the loss sits at ln 2 (the model
     * outputs one of the two values of the sequence, chance 0.5) until the induction circuit
     * forms, then drops to near zero. When it forms depends on the seeds and the schedule: in
     * 300-400 steps model seeds 8, 9 and 10 reached >= 0.998 (and 7 0.98) while 11 stayed at chance,
     * which it leaves by step 250 of a 2000-step schedule. CPU training is deterministic on one
     * machine, but another CPU's kernels round differently and can move the transition, so the test
     * gives it up to 1200 steps and stops two evaluations after the accuracy stops improving (about
     * 10 s when the transition comes early, as here).
     */
    @Test
    void softmaxAttentionLearnsMqarWellAboveChance() {
        Mqar gen = Mqar.builder().optVocabSize(16).optKvPairs(2).optLength(8).optPowerA(1.0).optSeed(1).build();
        List<MqarExample> all = gen.generate(20000 + 256);
        List<MqarExample> test = all.subList(0, 256);
        List<MqarExample> train = all.subList(256, all.size());
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = new DecoderLM(ModelConfig.builder().optKind(AttentionKind.SOFTMAX).setVocabSize(16)
                    .setMaxLength(8).optDModel(64).optHeads(4).optHeadDim(16).optFfnDim(128).optLayers(2)
                    .optDropout(0.0).optChunkSize(8).optPositions(org.leapformer.model.Positions.LEARNED).build())
                    .initialize(m, DataType.FLOAT32, 10);
            TrainingConfig tc = TrainingConfig.builder().setSteps(1200).optLearningRate(1e-3).optWarmupSteps(40)
                    .optEvalEvery(100).optMonitor("accuracy", true).optEarlyStopping(2, 1e-3).build();
            long t0 = System.nanoTime();
            TrainingResult r;
            try (Trainer t = new Trainer(Tasks.languageModel(model), tc)) {
                r = t.fit(DataSources.mqar(train, 64, 5), DataSources.mqarEval(test, 64));
            }
            System.out.printf("MQAR (V=16, K=2, N=8), softmax, %d steps in %.1f s: best accuracy %.3f at step %d%n",
                    r.steps(), (System.nanoTime() - t0) / 1e9, r.best(), r.bestStep());
            assertTrue(r.best() > 0.9, "softmax MQAR accuracy within " + r.steps() + " steps: expected > 0.9 (chance "
                    + "0.5), found " + r.best() + " at step " + r.bestStep());
        }
    }
}
