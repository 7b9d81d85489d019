package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.leapformer.model.Json;
import org.leapformer.model.ModelConfig;
import org.leapformer.data.Tokenizer;
import org.leapformer.data.Vocabulary;

/**
 * A training checkpoint: a zip with {@code checkpoint.json} (format version, model type, model
 * and training configuration, progress, SHA-256 of the other entries), {@code parameters.bin}
 * (every parameter by name, bit-exact) and {@code optimizer.bin} (AdamW's step count and
 * moments).
 *
 * <p>{@link #write} writes a temporary file in the target's folder, forces it to disk and moves
 * it into place atomically: a crash leaves the old checkpoint or the new one, never half of
 * one. {@link #read} checks the format and the hashes and reports a damaged file as a
 * {@link CorruptCheckpointException}; loading into a model of another shape names the parameter
 * and both shapes.
 */
public final class Checkpoint {

    /** Format name in checkpoint.json. */
    public static final String FORMAT = "leapformer-checkpoint";
    /** Format version this code writes and reads. */
    public static final int VERSION = 1;

    private static final String META = "checkpoint.json";
    private static final String PARAMS = "parameters.bin";
    private static final String OPTIMIZER = "optimizer.bin";

    /**
     * Where training stood.
     *
     * @param step optimizer steps done
     * @param best best monitored value so far (NaN before the first evaluation)
     * @param bestStep step of the best value (−1 before)
     * @param badEvaluations evaluations since the last improvement
     * @param seconds training time so far, over every segment of the run (0 in older checkpoints)
     */
    public record Progress(long step, double best, long bestStep, int badEvaluations, double seconds) {}

    private final Path file;
    private final String modelType;
    private final ModelConfig modelConfig;
    private final TrainingConfig trainingConfig;
    private final Progress progress;
    private final DataType dataType;
    private final byte[] parameters;
    private final byte[] optimizer;
    private final Tokenizer tokenizer;

    private Checkpoint(Path file, String modelType, ModelConfig modelConfig, TrainingConfig trainingConfig,
            Progress progress, DataType dataType, byte[] parameters, byte[] optimizer, Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.modelType = modelType;
        this.modelConfig = modelConfig;
        this.trainingConfig = trainingConfig;
        this.progress = progress;
        this.dataType = dataType;
        this.parameters = parameters;
        this.optimizer = optimizer;
    }

    public String modelType() {
        return modelType;
    }

    public ModelConfig modelConfig() {
        return modelConfig;
    }

    public TrainingConfig trainingConfig() {
        return trainingConfig;
    }

    public Progress progress() {
        return progress;
    }

    /** The parameters' data type. */
    public DataType dataType() {
        return dataType;
    }

    /** The tokenizer of a language model trained on text, or null (a classifier, or token ids). */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** A new model of the checkpoint's type and configuration holding its parameters (and its tokenizer). */
    public Task newTask(NDManager manager) {
        Task task = Tasks.create(modelType, modelConfig, manager, dataType, tokenizer);
        loadParameters(task.block());
        return task;
    }

    /**
     * Writes a checkpoint atomically.
     *
     * @param target the file to create or replace
     */
    public static void write(Path target, Task task, TrainingConfig config, AdamW optimizer, Progress progress)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        byte[] params = parametersOf(task.block());
        byte[] opt;
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
            optimizer.save(out);
            out.flush();
            opt = bytes.toByteArray();
        }
        JsonObject meta = new JsonObject();
        meta.addProperty("format", FORMAT);
        meta.addProperty("version", VERSION);
        meta.addProperty("modelType", task.modelType());
        meta.add("model", task.modelConfig().toJson());
        meta.add("training", config.toJson());
        JsonObject p = new JsonObject();
        p.addProperty("step", progress.step());
        p.addProperty("best", Double.isNaN(progress.best()) ? null : progress.best());
        p.addProperty("bestStep", progress.bestStep());
        p.addProperty("badEvaluations", progress.badEvaluations());
        p.addProperty("seconds", progress.seconds());
        meta.add("progress", p);
        meta.addProperty("dataType", dataTypeOf(task.block()).name());
        if (task.tokenizer() != null) {
            JsonObject tok = new JsonObject();
            tok.addProperty("kind", task.tokenizer().kind());
            com.google.gson.JsonArray tokens = new com.google.gson.JsonArray();
            task.tokenizer().vocabulary().tokens().forEach(tokens::add);
            tok.add("tokens", tokens);
            meta.add("tokenizer", tok);
        }
        JsonObject sha = new JsonObject();
        sha.addProperty(PARAMS, sha256(params));
        sha.addProperty(OPTIMIZER, sha256(opt));
        meta.add("sha256", sha);

        org.leapformer.data.AtomicFiles.removeStaleTemporaries(target); // left by a process killed mid-write
        Path tmp = org.leapformer.data.AtomicFiles.newTemporary(target); // readable as the umask allows
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    OutputStream os = java.nio.channels.Channels.newOutputStream(ch);
                    ZipOutputStream zip = new ZipOutputStream(os)) {
                entry(zip, META, meta.toString().getBytes(StandardCharsets.UTF_8));
                entry(zip, PARAMS, params);
                entry(zip, OPTIMIZER, opt);
                zip.finish();
                zip.flush();
                ch.force(true);
            }
            org.leapformer.data.AtomicFiles.keepPermissions(target, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * Reads and checks a checkpoint.
     *
     * @throws CorruptCheckpointException when the file is truncated, damaged or of another format
     * @throws java.nio.file.NoSuchFileException when there is no such file
     */
    public static Checkpoint read(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                entries.put(e.getName(), zip.readAllBytes());
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptCheckpointException(file, "unreadable zip (" + e.getMessage() + ")", e);
        }
        for (String name : new String[] {META, PARAMS, OPTIMIZER}) {
            if (!entries.containsKey(name)) {
                throw new CorruptCheckpointException(file, "expected an entry '" + name + "', found entries "
                        + entries.keySet(), null);
            }
        }
        JsonObject meta;
        try {
            meta = JsonParser.parseString(new String(entries.get(META), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new CorruptCheckpointException(file, META + " is not a JSON object", e);
        }
        try {
            Json j = new Json(META, meta);
            String format = j.string("format");
            if (!FORMAT.equals(format)) {
                throw new CorruptCheckpointException(file, "format: expected " + FORMAT + ", found " + format, null);
            }
            int version = j.integer("version");
            if (version != VERSION) {
                throw new CorruptCheckpointException(file, "version: expected " + VERSION + ", found " + version
                        + " (written by another release)", null);
            }
            Json sha = new Json(META + " sha256", j.object("sha256"));
            for (String name : new String[] {PARAMS, OPTIMIZER}) {
                String expected = sha.string(name);
                String found = sha256(entries.get(name));
                if (!expected.equals(found)) {
                    throw new CorruptCheckpointException(file, name + " has SHA-256 " + found + ", expected "
                            + expected, null);
                }
            }
            Json p = new Json(META + " progress", j.object("progress"));
            Double best = p.optReal("best");
            Progress progress = new Progress(p.longValue("step"), best == null ? Double.NaN : best,
                    p.longValue("bestStep"), p.integer("badEvaluations"),
                    p.optReal("seconds") == null ? 0 : p.optReal("seconds"));
            DataType type = DataType.valueOf(j.string("dataType"));
            Tokenizer tokenizer = null;
            if (meta.has("tokenizer")) {
                Json t = new Json(META + " tokenizer", j.object("tokenizer"));
                List<String> tokens = new ArrayList<>();
                try {
                    meta.getAsJsonObject("tokenizer").getAsJsonArray("tokens").forEach(e -> tokens.add(e.getAsString()));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(META + " tokenizer: expected a list of tokens in 'tokens'", e);
                }
                tokenizer = Tokenizer.of(t.string("kind"), Vocabulary.of(tokens));
            }
            return new Checkpoint(file, j.string("modelType"), ModelConfig.fromJson(j.object("model")),
                    TrainingConfig.fromJson(j.object("training")), progress, type, entries.get(PARAMS),
                    entries.get(OPTIMIZER), tokenizer);
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException(file, e.getMessage(), e);
        }
    }

    /**
     * Copies the checkpoint's parameters into a model, in place.
     *
     * @throws IllegalArgumentException naming the first parameter that is missing, unexpected or
     *     of another shape (expected = the model, found = the checkpoint)
     */
    public void loadParameters(Block block) {
        Map<String, Parameter> targets = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            targets.put(p.getKey(), p.getValue());
        }
        Set<String> seen = new LinkedHashSet<>();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(parameters))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                StoredArray a = StoredArray.read(in);
                Parameter target = targets.get(name);
                if (target == null) {
                    throw new IllegalArgumentException("checkpoint parameter '" + name + "' " + a.shape()
                            + ": expected a parameter of the model (" + targets.keySet() + "), found none of that "
                            + "name; the checkpoint was written for " + modelType + " " + modelConfig);
                }
                try {
                    a.copyInto(target.getArray(), "parameter '" + name + "'");
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(e.getMessage() + "; the checkpoint was written for "
                            + modelType + " " + modelConfig, e);
                }
                seen.add(name);
            }
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint " + file + ": parameters unreadable after the hash check", e);
        } finally {
            JniUtils.setGradMode(grad);
        }
        Set<String> missing = new LinkedHashSet<>(targets.keySet());
        missing.removeAll(seen);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("model parameters " + missing + ": expected in the checkpoint, found "
                    + "none; the checkpoint was written for " + modelType + " " + modelConfig);
        }
    }

    /** Replaces the optimizer's state with the checkpoint's (the model must hold the checkpoint's parameters). */
    public void loadOptimizer(AdamW optimizerState, Block block) {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            weights.put(p.getKey(), p.getValue().getArray());
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(optimizer))) {
            optimizerState.load(in, weights);
        } catch (EOFException e) {
            throw new IllegalStateException("checkpoint " + file + ": optimizer state ends early", e);
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint " + file + ": optimizer state unreadable", e);
        }
    }

    private static byte[] parametersOf(Block block) throws IOException {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(block.getParameters().size());
            for (Pair<String, Parameter> p : block.getParameters()) {
                out.writeUTF(p.getKey());
                StoredArray.write(out, p.getValue().getArray());
            }
            out.flush();
            return bytes.toByteArray();
        }
    }

    private static DataType dataTypeOf(Block block) {
        return block.getParameters().get(0).getValue().getArray().getDataType();
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256: expected in every JDK, found none", e);
        }
    }
}
