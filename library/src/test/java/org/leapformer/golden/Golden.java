package org.leapformer.golden;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.leapformer.inspect.TrainedLM;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.SimulTranslator;
import org.leapformer.ops.WaitK;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.Task;
import org.leapformer.train.Tasks;

/**
 * What {@link WriteGoldenFiles} and {@link GoldenFilesTest} share: the layout of a golden
 * folder and the JSON of arrays in the {@code *.expected.json} files.
 *
 * <p>Each golden artifact (a {@code .ckpt} file or a DJL model folder) has a
 * {@code <artifact>.expected.json} beside it: {@code artifact} (its file or folder name),
 * {@code loader} (one of the constants below: how users load it), {@code writtenBy}, the fixed
 * {@code inputs} and the {@code outputs} the model gave on them when the artifact was written.
 * An array is {@code {"shape": [...], "values": [...]}}; floats are written with
 * {@link Float#toString}, which reads back bit-exact.
 */
final class Golden {

    /** A language-model checkpoint, loaded with {@code TrainedLM.load}. */
    static final String LOADER_TRAINED_LM = "TrainedLM.load";
    /** A checkpoint loaded with {@code Checkpoint.read(file).newTask(manager)}. */
    static final String LOADER_CHECKPOINT = "Checkpoint.read+newTask";
    /** A DJL folder loaded with {@code Model.load(dir, name)} into a {@code new DecoderLM(config)}. */
    static final String LOADER_DJL_MODEL = "Model.load";

    /** Suffix of the expected-output files. */
    static final String EXPECTED = ".expected.json";

    /** The resource folder holding one subfolder per golden version (v1, v2, ...). */
    static final String RESOURCE = "/golden";

    private Golden() {}

    /**
     * Loads the artifact an expected-output file describes, the way users load it, and runs it on
     * the stored inputs: one float array per entry of {@code outputs}, in order.
     *
     * @param folder the golden version folder holding the artifact
     */
    static List<float[]> run(Path folder, JsonObject spec, NDManager m) throws IOException, MalformedModelException {
        Path artifact = folder.resolve(spec.get("artifact").getAsString());
        String loader = spec.get("loader").getAsString();
        JsonObject in = spec.getAsJsonObject("inputs");
        List<float[]> out = new ArrayList<>();
        try (NDManager sub = m.newSubManager()) {
            switch (loader) {
                case LOADER_TRAINED_LM -> {
                    TrainedLM lm = TrainedLM.load(artifact, sub);
                    out.add(lm.model().logits(longs(sub, in.getAsJsonObject("ids"))).toFloatArray());
                }
                case LOADER_CHECKPOINT -> {
                    Task task = Checkpoint.read(artifact).newTask(sub);
                    switch (task.modelType()) {
                        case Tasks.CLASSIFIER -> out.add(((EncoderClassifier) task.block())
                                .logits(longs(sub, in.getAsJsonObject("ids"))).toFloatArray());
                        case Tasks.LANGUAGE_MODEL -> out.add(((DecoderLM) task.block())
                                .logits(longs(sub, in.getAsJsonObject("ids"))).toFloatArray());
                        case Tasks.TRANSLATION -> {
                            SimulTranslator t = (SimulTranslator) task.block();
                            NDArray source = longs(sub, in.getAsJsonObject("source"));
                            NDArray mask = floatArray(sub, in.getAsJsonObject("sourceMask"));
                            NDArray target = longs(sub, in.getAsJsonObject("target"));
                            for (JsonElement o : spec.getAsJsonArray("outputs")) {
                                long k = lag(o.getAsJsonObject().get("k").getAsString());
                                out.add(t.logits(source, mask, target, k).toFloatArray());
                            }
                        }
                        default -> throw new IllegalArgumentException("model type " + task.modelType()
                                + ": expected one the golden test knows");
                    }
                }
                case LOADER_DJL_MODEL -> {
                    String name = spec.get("modelName").getAsString();
                    try (Model model = Model.newInstance(name)) {
                        DecoderLM lm = new DecoderLM(ModelConfig.fromJson(spec.getAsJsonObject("model")));
                        model.setBlock(lm);
                        model.load(artifact, name);
                        out.add(lm.logits(longs(sub, in.getAsJsonObject("ids"))).toFloatArray());
                    }
                }
                default -> throw new IllegalArgumentException("loader " + loader + ": expected "
                        + LOADER_TRAINED_LM + ", " + LOADER_CHECKPOINT + " or " + LOADER_DJL_MODEL);
            }
        }
        return out;
    }

    /** "offline" or a wait-k lag. */
    static long lag(String k) {
        return "offline".equals(k) ? WaitK.OFFLINE : Long.parseLong(k);
    }

    static JsonObject array(long[] values, Shape shape) {
        JsonObject o = new JsonObject();
        o.add("shape", shapeJson(shape));
        JsonArray v = new JsonArray();
        for (long x : values) {
            v.add(x);
        }
        o.add("values", v);
        return o;
    }

    static JsonObject array(NDArray a) {
        JsonObject o = new JsonObject();
        o.add("shape", shapeJson(a.getShape()));
        JsonArray v = new JsonArray();
        for (float x : a.toFloatArray()) {
            v.add(x);
        }
        o.add("values", v);
        return o;
    }

    static Shape shape(JsonObject array) {
        JsonArray s = array.getAsJsonArray("shape");
        long[] dims = new long[s.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = s.get(i).getAsLong();
        }
        return new Shape(dims);
    }

    static float[] floats(JsonObject array) {
        JsonArray v = array.getAsJsonArray("values");
        float[] out = new float[v.size()];
        int i = 0;
        for (JsonElement e : v) {
            out[i++] = e.getAsFloat();
        }
        return out;
    }

    static NDArray longs(NDManager m, JsonObject array) {
        JsonArray v = array.getAsJsonArray("values");
        long[] out = new long[v.size()];
        int i = 0;
        for (JsonElement e : v) {
            out[i++] = e.getAsLong();
        }
        return m.create(out, shape(array));
    }

    static NDArray floatArray(NDManager m, JsonObject array) {
        return m.create(floats(array), shape(array));
    }

    private static JsonArray shapeJson(Shape shape) {
        JsonArray s = new JsonArray();
        for (long d : shape.getShape()) {
            s.add(d);
        }
        return s;
    }
}
