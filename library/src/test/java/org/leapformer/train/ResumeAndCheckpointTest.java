package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.FileSystems;
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

/** Checkpoints are atomic and checked; a resumed run repeats the uninterrupted loss curve exactly. */
class ResumeAndCheckpointTest {

    private static final int STEPS = 400;

    private static ModelConfig config() {
        return ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2).optDModel(8).optHeadDim(4).optFfnDim(16)
                .optDropout(0.1).build();
    }

    private static TrainingConfig training(Path dir) {
        return TrainingConfig.builder().setSteps(STEPS).optLearningRate(3e-3).optWarmupSteps(20).optEvalEvery(100)
                .optCheckpointDir(dir).optSeed(7).build();
    }

    private static BatchSource data() {
        return Synthetic.containsFive(4, 8, 3);
    }

    private static EvalSource eval() {
        return Synthetic.containsFiveEval(1, 16, 8, 4);
    }

    private static final class Recorder implements TrainingListener {
        final List<Double> losses = new ArrayList<>();

        @Override
        public void onStep(Step s) {
            losses.add(s.loss());
        }
    }

    /** Stops the run (by interrupting the thread) once {@code at} steps are done. */
    private static final class InterruptAt implements TrainingListener {
        final long at;

        InterruptAt(long at) {
            this.at = at;
        }

        @Override
        public void onStep(Step s) {
            if (s.step() == at) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aResumedRunRepeatsTheLossCurveOfAnUninterruptedOneExactly(@TempDir Path dir) throws IOException {
        Recorder full = new Recorder();
        float[] fullParams;
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(1);
            EncoderClassifier model = new EncoderClassifier(config()).initialize(m, DataType.FLOAT32);
            try (Trainer t = new Trainer(Tasks.classifier(model), training(dir.resolve("full")))) {
                t.addListener(full);
                t.fit(data(), eval());
            }
            fullParams = flatten(model);
        }

        Recorder first = new Recorder();
        Path half = dir.resolve("half");
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(1);
            EncoderClassifier model = new EncoderClassifier(config()).initialize(m, DataType.FLOAT32);
            try (Trainer t = new Trainer(Tasks.classifier(model), training(half))) {
                t.addListener(first).addListener(new InterruptAt(STEPS / 2));
                TrainingResult r = t.fit(data(), eval());
                assertEquals(TrainingResult.StopReason.INTERRUPTED, r.reason());
                assertTrue(Thread.interrupted(), "the interrupt flag is set again");
            }
        }
        Recorder second = new Recorder();
        float[] resumedParams;
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(12345); // a "new process": nothing left from the first half
            try (Trainer t = Trainer.resume(half.resolve("latest.ckpt"), m, null)) {
                assertEquals(STEPS / 2, t.step());
                t.addListener(second);
                t.fit(data(), eval());
                resumedParams = flatten(t.task().block());
            }
        }
        List<Double> joined = new ArrayList<>(first.losses);
        joined.addAll(second.losses);
        assertEquals(full.losses.size(), joined.size());
        for (int i = 0; i < joined.size(); i++) {
            assertEquals(full.losses.get(i), joined.get(i), 0.0, "loss of step " + (i + 1));
        }
        assertArrayEquals(fullParams, resumedParams, "final parameters");
        assertTrue(Files.exists(half.resolve("best.ckpt")), "best checkpoint kept");
    }

    private static float[] flatten(ai.djl.nn.Block b) {
        List<Float> all = new ArrayList<>();
        for (Pair<String, Parameter> p : b.getParameters()) {
            for (float f : p.getValue().getArray().toFloatArray()) {
                all.add(f);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    private static Path trainedCheckpoint(Path dir, NDManager m) {
        TestSupport.seed(2);
        EncoderClassifier model = new EncoderClassifier(config()).initialize(m, DataType.FLOAT32);
        TrainingConfig tc = training(dir).toBuilder().setSteps(3).optWarmupSteps(0).optEvalEvery(0).build();
        try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
            t.fit(data(), null);
        }
        return dir.resolve("latest.ckpt");
    }

    @Test
    void loadingIntoAModelOfAnotherShapeNamesTheParameterAndBothShapes(@TempDir Path dir) throws IOException {
        try (NDManager m = LeapEngine.newManager()) {
            Checkpoint ck = Checkpoint.read(trainedCheckpoint(dir, m));
            EncoderClassifier wider = new EncoderClassifier(config().toBuilder().optFfnDim(32).build())
                    .initialize(m, DataType.FLOAT32);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ck.loadParameters(wider));
            assertTrue(e.getMessage().startsWith("shape of parameter '"), e.getMessage());
            assertTrue(e.getMessage().contains("ff1") && e.getMessage().contains("expected (32, 8) (the model), "
                    + "found (16, 8) (the checkpoint)"), e.getMessage());
            EncoderClassifier other = new EncoderClassifier(config().toBuilder().optKind(AttentionKind.RELU_LINEAR)
                    .build()).initialize(m, DataType.FLOAT32);
            e = assertThrows(IllegalArgumentException.class, () -> ck.loadParameters(other));
            assertTrue(e.getMessage().contains("leap_q") && e.getMessage().contains("found none of that name"),
                    e.getMessage());
        }
    }

    @Test
    void aCorruptOrTruncatedCheckpointGivesAClearError(@TempDir Path dir) throws IOException {
        try (NDManager m = LeapEngine.newManager()) {
            Path good = trainedCheckpoint(dir, m);
            byte[] bytes = Files.readAllBytes(good);

            Path truncated = dir.resolve("truncated.ckpt");
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class,
                    () -> Checkpoint.read(truncated));
            assertTrue(e.getMessage().contains("is corrupt or not a LeaPformer checkpoint"), e.getMessage());

            Path garbage = dir.resolve("garbage.ckpt");
            Files.writeString(garbage, "not a checkpoint");
            e = assertThrows(CorruptCheckpointException.class, () -> Checkpoint.read(garbage));
            assertTrue(e.getMessage().contains("expected an entry 'checkpoint.json'"), e.getMessage());

            Path flipped = dir.resolve("flipped.ckpt");
            byte[] copy = bytes.clone();
            copy[copy.length / 2] ^= 0x55;
            Files.write(flipped, copy);
            assertThrows(CorruptCheckpointException.class, () -> Checkpoint.read(flipped));
        }
    }

    @Test
    void checkpointsAreMovedIntoPlaceLeavingNoTemporaryFiles(@TempDir Path dir) throws IOException {
        try (NDManager m = LeapEngine.newManager()) {
            trainedCheckpoint(dir, m);
            trainedCheckpoint(dir, m); // replaces latest.ckpt
            try (var files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(List.of("latest.ckpt"), names);
            }
            Checkpoint ck = Checkpoint.read(dir.resolve("latest.ckpt"));
            assertEquals(3, ck.progress().step());
            assertEquals(config(), ck.modelConfig());
            assertFalse(Double.isFinite(ck.progress().best()), "no evaluation yet");
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Path plain = dir.resolve("plain");
                Files.writeString(plain, "x");
                assertEquals(Files.getPosixFilePermissions(plain),
                        Files.getPosixFilePermissions(dir.resolve("latest.ckpt")),
                        "a checkpoint is as readable as a plain file written there (the umask's permissions)");
            }
        }
    }
}
