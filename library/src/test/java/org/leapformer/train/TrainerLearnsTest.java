package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfigs;
import org.leapformer.nn.AttentionKind;

/** A tiny model learns a synthetic task in a few hundred CPU steps. */
class TrainerLearnsTest {

    @Test
    void aTinyLeapClassifierLearnsWhetherATokenOccurs() {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(5);
            EncoderClassifier model = new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2)
                    .optDropout(0.1).build()).initialize(m, DataType.FLOAT32);
            TrainingConfig tc = TrainingConfig.builder().setSteps(200).optLearningRate(3e-3).optWarmupSteps(20)
                    .optEvalEvery(100).build();
            List<Double> losses = new ArrayList<>();
            long t0 = System.nanoTime();
            TrainingResult r;
            try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        losses.add(s.loss());
                    }
                });
                r = t.fit(Synthetic.containsFive(32, 8, 1), Synthetic.containsFiveEval(4, 32, 8, 99));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("classifier: 200 steps in %.1f s, first loss %.3f, eval %s%n", secs, losses.get(0),
                    r.lastEvaluation());
            assertEquals(TrainingResult.StopReason.COMPLETED, r.reason());
            assertEquals(200, r.steps());
            assertTrue(r.lastEvaluation().get("accuracy") > 0.9, "accuracy " + r.lastEvaluation());
        }
    }

    @Test
    void aTinyDecoderLearnsToCount() {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(6);
            DecoderLM model = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build())
                    .initialize(m, DataType.FLOAT32);
            TrainingConfig tc = TrainingConfig.builder().setSteps(200).optLearningRate(3e-3).build();
            List<Double> losses = new ArrayList<>();
            try (Trainer t = new Trainer(Tasks.languageModel(model), tc)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        losses.add(s.loss());
                    }
                });
                t.fit(Synthetic.counting(16, 16, 11, 2), null);
            }
            System.out.printf("decoder: loss %.3f -> %.3f%n", losses.get(0), losses.get(losses.size() - 1));
            assertTrue(losses.get(losses.size() - 1) < 0.2 * losses.get(0), "loss " + losses.get(0) + " -> "
                    + losses.get(losses.size() - 1));
        }
    }
}
