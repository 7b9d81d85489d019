package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.ModelConfigs;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Scalars;

/**
 * A run whose loss, gradient or activations stop being finite stops at that step, applies no
 * update from it, says what happened, and keeps its last good checkpoint.
 */
class DivergenceTest {

    /** What goes wrong at the failing step. */
    private enum Fault { NAN_LOSS, INFINITE_LOSS, NAN_GRADIENT, NON_FINITE_ACTIVATION }

    /** The classifier's task, with a fault injected from step {@code at} (0-based) on. */
    private static Task faulty(Task inner, Fault fault, long at, long[] calls) {
        return new Task() {
            @Override
            public Block block() {
                return inner.block();
            }

            @Override
            public ModelConfig modelConfig() {
                return inner.modelConfig();
            }

            @Override
            public String modelType() {
                return inner.modelType();
            }

            @Override
            public NDArray[] lossSums(ParameterStore ps, TrainingBatch batch, boolean training) {
                NDArray[] s = inner.lossSums(ps, batch, training);
                if (!training || calls[0]++ < at) {
                    return s;
                }
                switch (fault) {
                    case NAN_LOSS -> s[0] = Scalars.mul(s[0], Double.NaN);
                    case INFINITE_LOSS -> s[0] = Scalars.mul(s[0], Double.POSITIVE_INFINITY);
                    case NAN_GRADIENT -> {
                        // + sqrt(0·Σw): adds 0 to the loss, and 0·∞ = NaN to every gradient of w
                        NDArray w = inner.block().getParameters().get(0).getValue().getArray();
                        NDArray root = Scalars.mul(w.sum(), 0.0).sqrt();
                        s[0] = s[0].add(root);
                    }
                    case NON_FINITE_ACTIVATION -> throw new Checks.NonFiniteException(
                            "q: expected finite values, found NaN or Inf in a tensor of shape (8, 2, 8, 8)");
                }
                return s;
            }
        };
    }

    private record Run(TrainingResult result, List<Long> steps, List<float[]> before, List<float[]> after) {}

    private static Run train(Fault fault, Path checkpoints) {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(3);
            EncoderClassifier model = new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2)
                    .build()).initialize(m, DataType.FLOAT32);
            List<Long> steps = new ArrayList<>();
            List<float[]> before = new ArrayList<>();
            TrainingConfig config = TrainingConfig.builder().setSteps(20).optEvalEvery(4).optLearningRate(1e-3)
                    .optCheckpointDir(checkpoints).build();
            try (Trainer t = new Trainer(faulty(Tasks.classifier(model), fault, 6, new long[1]), config)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        steps.add(s.step());
                        if (s.step() == 6) {
                            before.addAll(values(model));
                        }
                    }
                });
                TrainingResult r = t.fit(Synthetic.containsFive(8, 8, 1), Synthetic.containsFiveEval(1, 8, 8, 2));
                return new Run(r, steps, before, values(model));
            }
        }
    }

    private static List<float[]> values(Block b) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : b.getParameters()) {
            out.add(p.getValue().getArray().toFloatArray());
        }
        return out;
    }

    private static void assertStoppedAtStepSevenWithTheModelOfStepSix(Run run, String what) {
        TrainingResult r = run.result();
        assertEquals(TrainingResult.StopReason.DIVERGED, r.reason(), what);
        assertEquals(6, r.steps(), what + ": steps done");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), run.steps(), what + ": the failed step is not reported as done");
        assertNotNull(r.divergence(), what);
        assertEquals(7, r.divergence().step(), what);
        assertTrue(r.divergence().message().startsWith("training diverged at step 7: "), r.divergence().message());
        assertTrue(r.divergence().message().contains("at learning rate "), r.divergence().message());
        for (int i = 0; i < run.before().size(); i++) {
            assertTrue(java.util.Arrays.equals(run.before().get(i), run.after().get(i)),
                    what + ": parameter " + i + " changed after the failed step");
        }
    }

    @Test
    void aNanLossStopsTrainingAtThatStepWithoutAnUpdate() {
        Run run = train(Fault.NAN_LOSS, null);
        assertStoppedAtStepSevenWithTheModelOfStepSix(run, "NaN loss");
        assertTrue(run.result().divergence().message().contains("the loss is NaN"), run.result().divergence().message());
    }

    @Test
    void anInfiniteLossStopsTrainingAtThatStep() {
        Run run = train(Fault.INFINITE_LOSS, null);
        assertStoppedAtStepSevenWithTheModelOfStepSix(run, "infinite loss");
        assertTrue(run.result().divergence().message().contains("the loss is Infinity"),
                run.result().divergence().message());
    }

    @Test
    void aNanGradientWithAFiniteLossIsNotApplied() {
        Run run = train(Fault.NAN_GRADIENT, null);
        assertStoppedAtStepSevenWithTheModelOfStepSix(run, "NaN gradient");
        assertTrue(run.result().divergence().message().contains("the gradient norm is NaN"),
                run.result().divergence().message());
        assertTrue(Double.isFinite(run.result().divergence().loss()));
    }

    @Test
    void aNonFiniteActivationInTheForwardPassIsADivergenceNamingTheCheck() {
        Run run = train(Fault.NON_FINITE_ACTIVATION, null);
        assertStoppedAtStepSevenWithTheModelOfStepSix(run, "non-finite activation");
        assertTrue(run.result().divergence().message().contains("the forward pass produced non-finite values (q: "
                + "expected finite values"), run.result().divergence().message());
    }

    @Test
    void theLastGoodCheckpointIsKeptAndLoads(@TempDir Path dir) throws Exception {
        Run run = train(Fault.NAN_LOSS, dir);
        assertEquals(TrainingResult.StopReason.DIVERGED, run.result().reason());
        Checkpoint latest = Checkpoint.read(dir.resolve("latest.ckpt"));
        assertEquals(4, latest.progress().step(), "the checkpoint of the last evaluation before the divergence");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
        }
    }
}
