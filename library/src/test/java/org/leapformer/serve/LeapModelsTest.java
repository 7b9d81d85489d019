package org.leapformer.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.cli.Main;
import org.leapformer.data.ListOpsVocabulary;
import org.leapformer.inspect.TrainedLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.Sampling;
import org.leapformer.train.Checkpoint;

/** Checkpoints load through DJL's Criteria and answer through Predictors, alone and in parallel. */
class LeapModelsTest {

    private static final String[] PROMPTS = {"the ", "the cat", "sat on", "mat. the", "on the m", "cat sat "};

    @TempDir
    static Path dir;
    static Path lmRun;
    static Path lmCkpt;
    static Path listopsRun;

    private static int cli(String... args) {
        return Main.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void train() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. ".repeat(200));
        lmRun = dir.resolve("lm");
        assertEquals(0, cli("train", "--task", "lm", "--data", text.toString(), "--length", "16", "--steps", "30",
                "--layers", "1", "--d-model", "16", "--head-dim", "8", "--ffn", "32", "--batch", "8", "--quiet",
                "--out", lmRun.toString()));
        lmCkpt = lmRun.resolve("checkpoints/best.ckpt");
        listopsRun = dir.resolve("listops");
        assertEquals(0, cli("train", "--task", "listops", "--length", "16", "--train-examples", "16", "--val-examples",
                "8", "--steps", "2", "--layers", "1", "--d-model", "16", "--head-dim", "8", "--batch", "4", "--quiet",
                "--out", listopsRun.toString()));
    }

    /** What TrainedLM generates after the prompt, the prompt left out. */
    private static List<String> expected(Sampling sampling, int tokens) throws Exception {
        List<String> out = new ArrayList<>();
        try (NDManager m = LeapEngine.newManager()) {
            TrainedLM lm = TrainedLM.load(lmCkpt, m);
            for (String p : PROMPTS) {
                String full = lm.generate(p, tokens, sampling);
                String prompt = lm.decode(lm.encode(p));
                assertTrue(full.startsWith(prompt), full);
                out.add(full.substring(prompt.length()));
            }
        }
        return out;
    }

    @Test
    void aPredictorGeneratesWhatTrainedLMGeneratesAndKeepsOneDecoderSnapshot() throws Exception {
        List<String> greedy = expected(Sampling.greedyDecoding(), 20);
        try (ZooModel<String, String> model = LeapModels.criteriaForLm(lmCkpt, GenerationOptions.greedy(20))
                .loadModel(); Predictor<String, String> p = model.newPredictor()) {
            TextGenerationTranslator t = (TextGenerationTranslator) model.getTranslator();
            assertEquals(0, t.snapshots(), "no snapshot before the first prediction");
            String first = p.predict(PROMPTS[0]);
            assertEquals(greedy.get(0), first);
            assertEquals(20, first.length(), "a character model adds one character per token");
            assertEquals(1, t.snapshots());
            assertEquals(first, p.predict(PROMPTS[0]), "a second prediction repeats the first");
            for (int i = 0; i < PROMPTS.length; i++) {
                assertEquals(greedy.get(i), p.predict(PROMPTS[i]), PROMPTS[i]);
            }
            try (Predictor<String, String> second = model.newPredictor()) {
                assertEquals(greedy.get(1), second.predict(PROMPTS[1]));
            }
            assertEquals(1, t.snapshots(), "every prediction of every predictor reuses the first snapshot");
            TranslateException e = assertThrows(TranslateException.class, () -> p.predict(""));
            assertTrue(e.getMessage().contains("prompt: expected characters or words the vocabulary knows"),
                    e.getMessage());
        }
    }

    @Test
    void seededSamplingMatchesAndARunFolderLoadsItsBestCheckpoint() throws Exception {
        Sampling s = Sampling.sample(1.5, 5, 0.95, 7);
        List<String> sampled = expected(s, 12);
        assertFalse(sampled.equals(expected(Sampling.greedyDecoding(), 12)), "sampling should differ from greedy");
        try (ZooModel<String, String> model = LeapModels.criteriaForLm(lmRun, new GenerationOptions(12, s))
                .loadModel(); Predictor<String, String> p = model.newPredictor()) {
            for (int i = 0; i < PROMPTS.length; i++) {
                assertEquals(sampled.get(i), p.predict(PROMPTS[i]), PROMPTS[i]);
            }
        }
    }

    @Test
    void predictorsOnFourThreadsOverOneModelGiveTheSingleThreadedOutputs() throws Exception {
        List<String> greedy = expected(Sampling.greedyDecoding(), 16);
        try (ZooModel<String, String> model = LeapModels.criteriaForLm(lmCkpt, GenerationOptions.greedy(16))
                .loadModel()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            try {
                List<Future<List<String>>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int offset = t;
                    Callable<List<String>> job = () -> {
                        List<String> out = new ArrayList<>();
                        try (Predictor<String, String> p = model.newPredictor()) {
                            start.await();
                            for (int r = 0; r < 5; r++) { // every thread goes round the prompts from another one
                                for (int i = 0; i < PROMPTS.length; i++) {
                                    out.add(p.predict(PROMPTS[(i + offset) % PROMPTS.length]));
                                }
                            }
                        }
                        return out;
                    };
                    futures.add(pool.submit(job));
                }
                start.countDown();
                for (int t = 0; t < 4; t++) {
                    List<String> out = futures.get(t).get();
                    assertEquals(5 * PROMPTS.length, out.size());
                    for (int k = 0; k < out.size(); k++) {
                        assertEquals(greedy.get((k + t) % PROMPTS.length), out.get(k), "thread " + t + ", output " + k);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, ((TextGenerationTranslator) model.getTranslator()).snapshots(),
                    "the threads share one snapshot");
        }
    }

    @Test
    void aListOpsClassifierAnswersWithClassificationsAndLabels() throws Exception {
        String[] sources = {"[MAX 4 3 [MIN 2 3 ] 1 0 ]", "( [SM 1 2 ( [MED 3 4 5 ] ) ] )", "[MIN 9 8 ]"};
        List<String> expected = new ArrayList<>();
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier c = (EncoderClassifier) Checkpoint.read(listopsRun.resolve("checkpoints/best.ckpt"))
                    .newTask(m).block();
            int n = c.config().maxLength();
            for (String s : sources) {
                long[] ids = Arrays.stream(ListOpsVocabulary.encode(s, n).ids()).asLongStream().toArray();
                try (NDArray x = m.create(ids, new Shape(1, n)); NDArray logits = c.logits(x)) {
                    expected.add(Long.toString(logits.argMax(1).toLongArray()[0]));
                }
            }
        }
        try (ZooModel<String, Classifications> model = LeapModels.criteriaForClassifier(listopsRun).loadModel();
                Predictor<String, Classifications> p = model.newPredictor()) {
            for (int i = 0; i < sources.length; i++) {
                Classifications c = p.predict(sources[i]);
                assertEquals(10, c.getClassNames().size());
                assertEquals("3", c.getClassNames().get(3));
                assertEquals(1.0, c.getProbabilities().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
                assertEquals(expected.get(i), c.best().getClassName(), sources[i]);
            }
            assertThrows(TranslateException.class, () -> p.predict("[MAX 4 x ]"));
        }
        try (ZooModel<String, String> model = LeapModels.criteriaForLabels(listopsRun).loadModel();
                Predictor<String, String> p = model.newPredictor()) {
            assertSame(ListOpsTranslator.class, model.getTranslator().getClass());
            for (int i = 0; i < sources.length; i++) {
                assertEquals(expected.get(i), p.predict(sources[i]), sources[i]);
            }
        }
    }

    @Test
    void aModelNoTranslatorFitsIsClosedNotLeft() throws Exception {
        // what DJL's loader does on a type mismatch: it loaded our model, then asks for a translator
        ai.djl.Model model = ai.djl.Model.newInstance("lm", "PyTorch");
        model.setProperty(CheckpointBlockFactory.MODEL_TYPE, org.leapformer.train.Tasks.LANGUAGE_MODEL);
        NDArray held = model.getNDManager().create(new float[] {1, 2});
        TranslateException e = assertThrows(TranslateException.class, () -> new LeapTranslatorFactory()
                .newInstance(String.class, Classifications.class, model, Map.of()));
        assertTrue(e.getMessage().contains("found String to Classifications"), e.getMessage());
        assertFalse(model.getNDManager().isOpen(), "the model's arrays are freed");
        assertTrue(held.isReleased(), "the model's arrays are freed");
        // a model not loaded by us (no type) is the caller's: left open
        try (ai.djl.Model other = ai.djl.Model.newInstance("x", "PyTorch")) {
            assertThrows(TranslateException.class, () -> new LeapTranslatorFactory()
                    .newInstance(String.class, String.class, other, Map.of()));
            assertTrue(other.getNDManager().isOpen());
        }
    }

    @Test
    void plainCriteriaWithDjlsOwnArgumentsLoadTheSameModel() throws Exception {
        String want = expected(Sampling.greedyDecoding(), 8).get(1);
        Criteria<String, String> c = Criteria.builder().setTypes(String.class, String.class).optModelPath(lmCkpt)
                .optEngine("PyTorch").optArgument("blockFactory", CheckpointBlockFactory.class.getName())
                .optArgument("translatorFactory", LeapTranslatorFactory.class.getName())
                .optArgument(GenerationOptions.MAX_NEW_TOKENS, "8").optOption("hasParameter", "false").build();
        try (ZooModel<String, String> model = c.loadModel(); Predictor<String, String> p = model.newPredictor()) {
            assertEquals(want, p.predict(PROMPTS[1]));
        }
        Criteria<String, Classifications> wrong = LeapModels.builder(lmCkpt, String.class, Classifications.class)
                .build();
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, wrong::loadModel);
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(t).append('\n');
        }
        assertTrue(chain.toString().contains("expected String to String for a language-model"), chain.toString());
    }

    @Test
    void generationOptionsTravelAsArgumentsAndText() {
        GenerationOptions o = new GenerationOptions(7, Sampling.sample(0.5, 3, 0.9, 1234567890123L));
        assertEquals(o, GenerationOptions.fromArguments(o.toArguments()));
        Map<String, String> text = Map.of("maxNewTokens", "9", "temperature", "0.7", "seed", "3");
        assertEquals(new GenerationOptions(9, Sampling.sample(0.7, 0, 3)), GenerationOptions.fromArguments(text));
        assertEquals(GenerationOptions.greedy(GenerationOptions.DEFAULT_MAX_NEW_TOKENS),
                GenerationOptions.fromArguments(Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.fromArguments(Map.of("topK", "many")));
        assertTrue(e.getMessage().startsWith("generation argument topK: expected a number"), e.getMessage());
    }
}
