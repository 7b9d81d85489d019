package org.leapformer.serve;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.leapformer.data.Tokenizer;
import org.leapformer.data.Vocabulary;
import org.leapformer.train.Checkpoint;

/**
 * DJL's hook for a model format it does not know: {@code Criteria} names this class in the
 * argument {@code blockFactory}, DJL calls {@link #newBlock} with the model path before it loads
 * anything, and the block comes back holding the checkpoint's parameters, in the model's own
 * {@link ai.djl.ndarray.NDManager} (freed when the {@code ZooModel} closes). The PyTorch model must
 * then be told not to look for a DJL parameter file: the option {@code hasParameter=false}.
 * {@link LeapModels} sets all three.
 *
 * <p>The checkpoint's model type and tokenizer go to the model's properties
 * ({@link #MODEL_TYPE}, {@link #TOKENIZER_KIND}, {@link #TOKENIZER_TOKENS}), where
 * {@link LeapTranslatorFactory} and the translators find them.
 */
public final class CheckpointBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Model property: the checkpoint's model type ({@code Tasks.LANGUAGE_MODEL}, {@code Tasks.CLASSIFIER}, ...). */
    public static final String MODEL_TYPE = "leapformer.modelType";
    /** Model property: the checkpoint file read. */
    public static final String CHECKPOINT = "leapformer.checkpoint";
    /** Model property: the tokenizer's kind ("char" or "word"), absent without a tokenizer. */
    public static final String TOKENIZER_KIND = "leapformer.tokenizer.kind";
    /** Model property: the tokenizer's tokens by id, a JSON array, absent without a tokenizer. */
    public static final String TOKENIZER_TOKENS = "leapformer.tokenizer.tokens";

    /** A factory (DJL makes one by its public no-argument constructor). */
    public CheckpointBlockFactory() {}

    /**
     * Reads the checkpoint and returns its model with the parameters loaded.
     *
     * @param model the DJL model being loaded: the parameters go to its manager, the checkpoint's
     *     type and tokenizer to its properties
     * @param modelPath a run folder ({@link #checkpointFile}), or the folder of the {@code .ckpt} file
     *     the model is named after (DJL's way with a model path that is a file), or the file
     * @param arguments the criteria's arguments (unused)
     * @return the model's block, a {@code DecoderLM}, {@code EncoderClassifier} or {@code SimulTranslator}
     * @throws IOException when there is no checkpoint or it cannot be read
     */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        // DJL points a repository at a plain file's folder and names the model after the file
        Path named = model.getName() == null ? null : modelPath.resolve(model.getName());
        Path file = named != null && named.getFileName().toString().endsWith(".ckpt") && Files.isRegularFile(named)
                ? named : checkpointFile(modelPath);
        Checkpoint ck = Checkpoint.read(file);
        Block block = ck.newTask(model.getNDManager()).block();
        model.setProperty(MODEL_TYPE, ck.modelType());
        model.setProperty(CHECKPOINT, file.toAbsolutePath().toString());
        Tokenizer t = ck.tokenizer();
        if (t != null) {
            JsonArray tokens = new JsonArray();
            t.vocabulary().tokens().forEach(tokens::add);
            model.setProperty(TOKENIZER_KIND, t.kind());
            model.setProperty(TOKENIZER_TOKENS, tokens.toString());
        }
        return block;
    }

    /**
     * The checkpoint a model path names: the file itself, or in a run folder
     * {@code checkpoints/best.ckpt}, else {@code checkpoints/latest.ckpt}, else the folder's only
     * {@code .ckpt} file.
     *
     * @param modelPath a file or a folder
     * @return the checkpoint file
     * @throws IOException when the path names none
     */
    public static Path checkpointFile(Path modelPath) throws IOException {
        if (Files.isRegularFile(modelPath)) {
            return modelPath;
        }
        if (!Files.isDirectory(modelPath)) {
            throw new NoSuchFileException(modelPath.toString(), null, "expected a .ckpt file or a run folder");
        }
        for (String name : new String[] {"checkpoints/best.ckpt", "checkpoints/latest.ckpt"}) {
            Path p = modelPath.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(modelPath)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(".ckpt") && Files.isRegularFile(p)).toList();
        }
        if (found.size() != 1) {
            throw new NoSuchFileException(modelPath.toString(), null, "expected checkpoints/best.ckpt, "
                    + "checkpoints/latest.ckpt or one .ckpt file in the folder, found " + found.size() + " .ckpt files");
        }
        return found.get(0);
    }

    /** The tokenizer this factory stored in a model's properties, or null. */
    static Tokenizer tokenizer(Model model) {
        String kind = model.getProperty(TOKENIZER_KIND);
        String json = model.getProperty(TOKENIZER_TOKENS);
        if (kind == null || json == null) {
            return null;
        }
        List<String> tokens = new ArrayList<>();
        JsonParser.parseString(json).getAsJsonArray().forEach(e -> tokens.add(e.getAsString()));
        return Tokenizer.of(kind, Vocabulary.of(tokens));
    }
}
