package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfigs;
import org.leapformer.nn.AttentionKind;

/**
 * The chosen model is the best validation evaluation's, and it alone is evaluated on test; the
 * result records the model seed, the data seed and the sets' sizes.
 */
class SelectionAndTestTest {

    private static EncoderClassifier model(NDManager m) {
        TestSupport.seed(3);
        return new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2).optDropout(0.0)
                .build()).initialize(m, DataType.FLOAT32);
    }

    private static List<float[]> values(EncoderClassifier model) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    private static void assertValues(List<float[]> expected, List<float[]> found, String what) {
        assertEquals(expected.size(), found.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), found.get(i), what + ": parameter " + i);
        }
    }

    /**
     * Trains 12 steps evaluating every 2; an improvement must exceed a huge minimum change, so the
     * first evaluation (step 2) stays the chosen one and the last model is another. Keeps the
     * parameters of every improvement in {@code chosen}.
     */
    private static TrainingResult fit(Trainer t, EncoderClassifier model, List<float[]> chosen, EvalSource valid,
            EvalSource test) {
        t.addListener(new TrainingListener() {
            @Override
            public void onEvaluation(Evaluation e) {
                if (e.improved()) {
                    chosen.clear();
                    chosen.addAll(values(model));
                }
            }
        });
        return t.fit(Synthetic.containsFive(8, 8, 1), valid, test);
    }

    private static TrainingConfig config(Path checkpoints) {
        return TrainingConfig.builder().setSteps(12).optEvalEvery(2).optLearningRate(3e-3).optEarlyStopping(0, 1e9)
                .optSeed(5).optDataSeed(9).optCheckpointDir(checkpoints).build();
    }

    @Test
    void theBestValidationModelAloneIsEvaluatedOnTestAndTheLastParametersAreKept() {
        EvalSource valid = Synthetic.containsFiveEval(2, 8, 8, 2);
        EvalSource test = Synthetic.containsFiveEval(3, 8, 8, 77);
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m);
            List<float[]> chosen = new ArrayList<>();
            try (Trainer t = new Trainer(Tasks.classifier(model), config(null))) {
                TrainingResult r = fit(t, model, chosen, valid, test);
                assertEquals(TrainingResult.StopReason.COMPLETED, r.reason());
                assertEquals(2, r.bestStep(), "the first evaluation is chosen, not the last step");
                assertEquals(TrainingResult.VALIDATION, r.selectedOn());
                assertEquals(5, r.seed());
                assertEquals(9, r.dataSeed());
                assertEquals(new TrainingResult.Splits(-1, -1, -1), r.splits(), "synthetic sources know no size");
                assertEquals(r.best(), r.validation().get("loss"), 0.0);

                List<float[]> last = values(model);
                assertValues(last, values(model), "after fit: the last step's parameters");
                Map<String, Double> atLast = t.evaluate(test);
                assertNotEquals(atLast, r.test(), "the last model is not the one tested");
                t.withBestParameters(() -> {
                    assertValues(chosen, values(model), "inside withBestParameters: the best evaluation's");
                    assertEquals(r.test(), t.evaluate(test));
                    assertEquals(r.validation(), t.evaluate(valid));
                    return null;
                });
                assertValues(last, values(model), "after withBestParameters: the last step's again");
            }
        }
    }

    @Test
    void withACheckpointFolderTheChosenModelIsBestCkptAndAResumeMustKeepTheDataSeed(@TempDir Path dir)
            throws Exception {
        EvalSource valid = Synthetic.containsFiveEval(2, 8, 8, 2);
        EvalSource test = Synthetic.containsFiveEval(3, 8, 8, 77);
        TrainingResult r;
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m);
            try (Trainer t = new Trainer(Tasks.classifier(model), config(dir))) {
                r = fit(t, model, new ArrayList<>(), valid, test);
            }
            Checkpoint best = Checkpoint.read(dir.resolve("best.ckpt"));
            assertEquals(r.bestStep(), best.progress().step());
            assertEquals(9, best.trainingConfig().dataSeed());
            try (Trainer fresh = new Trainer(best.newTask(m), config(null))) {
                assertEquals(r.test(), fresh.evaluate(test), "best.ckpt on the test set");
            }
            // resumed in a new process: the best model is read back from best.ckpt
            try (Trainer resumed = Trainer.resume(dir.resolve("latest.ckpt"), m, null)) {
                TrainingResult again = resumed.fit(Synthetic.containsFive(8, 8, 1), valid, test);
                assertEquals(r.test(), again.test());
                assertEquals(r.validation(), again.validation());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.resume(
                    dir.resolve("latest.ckpt"), m, config(dir).toBuilder().optDataSeed(10).build()));
            assertTrue(e.getMessage().contains("expected the checkpoint's data seed 9") && e.getMessage().contains(
                    "found 10"), e.getMessage());
        }
    }

    @Test
    void theDataSeedIsPartOfTheConfigurationAndAnOlderConfigurationsDataCameFromItsSeed() {
        TrainingConfig c = TrainingConfig.builder().setSteps(3).optSeed(1).optDataSeed(2).build();
        assertEquals(1, c.seed());
        assertEquals(2, c.dataSeed());
        assertEquals(c, TrainingConfig.fromJson(c.toJson()));
        assertEquals(42, TrainingConfig.builder().setSteps(3).optSeed(1).build().dataSeed(),
                "the data seed does not follow the model seed");
        JsonObject old = c.toJson();
        old.remove("dataSeed");
        assertEquals(1, TrainingConfig.fromJson(old).dataSeed(), "written before the data seed: its data came from seed");
    }
}
