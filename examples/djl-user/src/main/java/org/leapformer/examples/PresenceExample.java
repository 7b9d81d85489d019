package org.leapformer.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.util.PairList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.leapformer.LeapEngine;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;

/**
 * A DJL user's own model with LeaPformer's attention inside: tokens → embedding → LeaP linear
 * attention → mean pooling → linear head, for "is token 3 in the sequence?". Trained with DJL's
 * Trainer and EasyTrain.fit, saved with Model.save, loaded into a fresh Model, served by a Predictor.
 */
public final class PresenceExample {
    static final int VOCAB = 10, LENGTH = 12, HEADS = 2, HEAD_DIM = 16, TARGET = 3;
    static final int BATCH = 32, EPOCHS = 8, TRAIN = 256, SEED = 7;

    /** The user's block: LinearAttention is one child among DJL's own Linear layers. */
    static final class PresenceClassifier extends AbstractBlock {
        private final Block embed = addChildBlock("embed", Linear.builder().setUnits(HEADS * HEAD_DIM).optBias(false).build());
        private final Block qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * HEADS * HEAD_DIM).build());
        private final Block attention = addChildBlock("leap", LinearAttention.builder()
                .setKind(AttentionKind.LEAP).setHeadDim(HEAD_DIM).optLeapHidden(4).build());
        private final Block head = addChildBlock("head", Linear.builder().setUnits(2).build());

        PresenceClassifier() {
            super((byte) 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray ids = inputs.singletonOrThrow();                                      // (B, N) int64
            long b = ids.getShape().get(0), n = ids.getShape().get(1);
            NDArray x = embed.forward(ps, new NDList(ids.oneHot(VOCAB)), training).singletonOrThrow();
            NDList split = qkv.forward(ps, new NDList(x), training).singletonOrThrow().split(3, 2);
            NDList heads = new NDList();                                                  // (B, H, N, D) each
            for (NDArray a : split) {
                heads.add(a.reshape(b, n, HEADS, HEAD_DIM).transpose(0, 2, 1, 3));
            }
            NDArray y = attention.forward(ps, heads, training).singletonOrThrow();        // (B, H, N, D)
            NDArray pooled = y.transpose(0, 2, 1, 3).reshape(b, n, HEADS * HEAD_DIM).mean(new int[] {1});
            return head.forward(ps, new NDList(pooled), training);                        // (B, 2) logits
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            long b = inputShapes[0].get(0), n = inputShapes[0].get(1);
            embed.initialize(manager, dataType, new Shape(b, n, VOCAB));
            qkv.initialize(manager, dataType, new Shape(b, n, HEADS * HEAD_DIM));
            Shape q = new Shape(b, HEADS, n, HEAD_DIM);
            attention.initialize(manager, dataType, q, q, q);
            head.initialize(manager, dataType, new Shape(b, HEADS * HEAD_DIM));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), 2)};
        }
    }

    /** The user's translator: a token sequence in, "absent"/"present" with probabilities out. */
    static final class PresenceTranslator implements Translator<int[], Classifications> {
        @Override
        public NDList processInput(TranslatorContext ctx, int[] tokens) {
            return new NDList(ctx.getNDManager().create(Arrays.stream(tokens).asLongStream().toArray()));
        }

        @Override
        public Classifications processOutput(TranslatorContext ctx, NDList list) {
            return new Classifications(List.of("absent", "present"), list.singletonOrThrow().softmax(-1));
        }
    }

    /** Sequences without the target token; half of them get it at one or two random places. */
    static long[][] sequences(Random random, int count, long[] labels) {
        long[][] seqs = new long[count][LENGTH];
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < LENGTH; j++) {
                seqs[i][j] = (TARGET + 1 + random.nextInt(VOCAB - 1)) % VOCAB;
            }
            labels[i] = random.nextBoolean() ? 1 : 0;
            for (int t = 0; labels[i] == 1 && t <= random.nextInt(2); t++) {
                seqs[i][random.nextInt(LENGTH)] = TARGET;
            }
        }
        return seqs;
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("presence");
        System.out.println("engine: " + LeapEngine.ensureInitialized());
        Engine.getInstance().setRandomSeed(SEED);
        Random random = new Random(SEED);
        long[] labels = new long[TRAIN];
        long[][] seqs = sequences(random, TRAIN, labels);
        List<Float> losses = new ArrayList<>();
        float[] expected;
        try (NDManager data = NDManager.newBaseManager(); Model model = Model.newInstance("presence")) {
            ArrayDataset dataset = new ArrayDataset.Builder().setData(data.create(seqs))
                    .optLabels(data.create(labels)).setSampling(BATCH, true).build();
            model.setBlock(new PresenceClassifier());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.002f)).build())
                    .addEvaluator(new Accuracy())
                    .addTrainingListeners(TrainingListener.Defaults.basic())
                    .addTrainingListeners(new TrainingListenerAdapter() {
                        @Override
                        public void onEpoch(Trainer trainer) {
                            var r = trainer.getTrainingResult();
                            losses.add(r.getTrainLoss());
                            System.out.printf("epoch %d (%d steps): loss %.4f, accuracy %.3f%n", r.getEpoch(),
                                    r.getEpoch() * TRAIN / BATCH, r.getTrainLoss(), r.getTrainEvaluation("Accuracy"));
                        }
                    });
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, LENGTH));
                EasyTrain.fit(trainer, EPOCHS, dataset, null);
            }
            model.setProperty("Epoch", String.valueOf(EPOCHS));
            model.save(dir, "presence");
            expected = forward(model, data, seqs);
            System.out.println("saved " + dir.resolve("presence-0008.params") + " with Model.save");
        }

        boolean lossFell = losses.get(losses.size() - 1) < 0.5f * losses.get(0);
        boolean equal;
        try (NDManager data = NDManager.newBaseManager(); Model fresh = Model.newInstance("presence")) {
            fresh.setBlock(new PresenceClassifier());                  // never initialised: the load fills it
            fresh.load(dir, "presence");
            equal = Arrays.equals(expected, forward(fresh, data, seqs));
            System.out.println("Model.load into a fresh model: outputs on " + TRAIN + " sequences "
                    + (equal ? "equal" : "DIFFER"));

            long[] heldLabels = new long[64];
            long[][] held = sequences(new Random(SEED + 1), 64, heldLabels);
            try (Predictor<int[], Classifications> predictor = fresh.newPredictor(new PresenceTranslator())) {
                int[] with = {5, 1, 8, 3, 0, 2, 9, 4, 6, 7, 1, 2}, without = {5, 1, 8, 4, 0, 2, 9, 4, 6, 7, 1, 2};
                System.out.println("predict " + Arrays.toString(with) + " -> " + predictor.predict(with).best());
                System.out.println("predict " + Arrays.toString(without) + " -> " + predictor.predict(without).best());
                List<int[]> inputs = Arrays.stream(held).map(s -> Arrays.stream(s).mapToInt(t -> (int) t).toArray()).toList();
                List<Classifications> out = predictor.batchPredict(inputs);
                long right = 0;
                for (int i = 0; i < out.size(); i++) {
                    right += out.get(i).best().getClassName().equals(heldLabels[i] == 1 ? "present" : "absent") ? 1 : 0;
                }
                System.out.println("Predictor on " + out.size() + " held-out sequences: " + right + " right");
            }
        }
        System.out.printf("loss %.4f -> %.4f: %s%n", losses.get(0), losses.get(losses.size() - 1),
                lossFell ? "fell by more than half" : "DID NOT FALL ENOUGH");
        if (!lossFell || !equal) {
            System.exit(1);
        }
    }

    /** Logits of the model's block for the sequences, in inference mode. */
    static float[] forward(Model model, NDManager manager, long[][] seqs) {
        try (NDManager m = manager.newSubManager()) {
            NDList in = new NDList(m.create(seqs));
            return model.getBlock().forward(new ParameterStore(m, false), in, false).singletonOrThrow().toFloatArray();
        }
    }
}
