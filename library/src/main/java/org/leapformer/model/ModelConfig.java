package org.leapformer.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.leapformer.LeapEngine;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.CosformerLength;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;
import org.leapformer.ops.LinearSpec;

/**
 * The shape and attention of a transformer model. Defaults follow the LRA setup of the paper
 * (2 layers, 2 heads, d_model 64, head dim 32, FFN 128). Build with {@link #builder()}.
 *
 * @param kind attention mechanism of every layer
 * @param vocabSize V, number of token ids
 * @param maxLength the training window: the longest sequence of a parallel pass; also the end of
 *     learned positions and cosFormer's causal N (other models step and generate past it)
 * @param dModel width of the residual stream
 * @param heads H
 * @param headDim D, per head (H·D need not equal d_model)
 * @param ffnDim hidden width of the feed-forward block
 * @param layers number of transformer layers
 * @param dropout dropout rate after embeddings, attention and feed-forward
 * @param numClasses classes of the classifier head (0 for a language model)
 * @param tiedEmbeddings whether a language model's output projection is the token embedding
 * @param leapHidden LeaP module hidden size h, or null for D/4
 * @param clamp denominator clamp of linear attention, or null for none
 * @param chunkSize chunk length of the chunked causal form
 * @param trainingForm causal form of the parallel pass (CHUNKED; QUADRATIC as a reference)
 * @param padId token id of padding (masked out of attention and pooling in the classifier)
 * @param positions position information: learned (capped at maxLength), sinusoidal or none
 * @param cosformerLength what a causal cosFormer takes for N ({@link CosformerLength}; CAPPED by default:
 *     N = maxLength and sequences end there)
 */
public record ModelConfig(AttentionKind kind, int vocabSize, int maxLength, int dModel, int heads, int headDim,
        int ffnDim, int layers, double dropout, int numClasses, boolean tiedEmbeddings, Integer leapHidden,
        Double clamp, int chunkSize, Form trainingForm, int padId, Positions positions,
        CosformerLength cosformerLength) {

    /** Format of {@link #toJson()}. */
    static final int JSON_VERSION = 1;

    public ModelConfig {
        Checks.require(kind != null, "attention kind", "one of LEAP, COSFORMER, RELU_LINEAR, SOFTMAX", "null");
        Checks.require(vocabSize > 0, "vocabulary size", "a positive V set with setVocabSize", vocabSize);
        Checks.require(maxLength > 0, "maximum length", "a positive N set with setMaxLength", maxLength);
        Checks.require(dModel > 0, "d_model", "a positive width", dModel);
        Checks.require(heads > 0, "heads", "a positive H", heads);
        Checks.require(headDim > 0, "head dimension", "a positive D", headDim);
        Checks.require(ffnDim > 0, "FFN size", "a positive width", ffnDim);
        Checks.require(layers > 0, "layers", "at least 1", layers);
        Checks.require(dropout >= 0 && dropout < 1, "dropout", "a rate in [0, 1)", dropout);
        Checks.require(numClasses >= 0, "classes", "0 (language model) or at least 2", numClasses);
        Checks.require(numClasses != 1, "classes", "0 (language model) or at least 2", numClasses);
        if (leapHidden != null) {
            Checks.require(leapHidden >= 1, "LeaP hidden size", "h >= 1 or null for D/4", leapHidden);
        }
        Checks.clamp(clamp);
        Checks.chunkSize(chunkSize);
        Checks.require(trainingForm != null, "training form", "QUADRATIC, CHUNKED or RECURRENT", "null");
        Checks.require(padId >= 0 && padId < vocabSize, "pad id", "an id in [0, " + vocabSize + ")", padId);
        Checks.require(positions != null, "positions", "one of LEARNED, SINUSOIDAL, NONE", "null");
        Checks.require(positions != Positions.SINUSOIDAL || dModel % 2 == 0, "d_model with sinusoidal positions",
                "an even width (sin and cos pairs)", dModel);
        Checks.require(cosformerLength != null, "cosFormer length", "one of CAPPED, TRAINING, KNOWN", "null");
    }

    /** A configuration with the default cosFormer length ({@link CosformerLength#CAPPED}). */
    public ModelConfig(AttentionKind kind, int vocabSize, int maxLength, int dModel, int heads, int headDim,
            int ffnDim, int layers, double dropout, int numClasses, boolean tiedEmbeddings, Integer leapHidden,
            Double clamp, int chunkSize, Form trainingForm, int padId, Positions positions) {
        this(kind, vocabSize, maxLength, dModel, heads, headDim, ffnDim, layers, dropout, numClasses, tiedEmbeddings,
                leapHidden, clamp, chunkSize, trainingForm, padId, positions, CosformerLength.CAPPED);
    }

    /**
     * The longest a sequence, a decoding session or a generation may grow: {@code maxLength} with
     * learned positions or cosFormer attention (its causal i/N) with {@link CosformerLength#CAPPED},
     * otherwise no limit.
     */
    public long lengthLimit() {
        return positions == Positions.LEARNED
                || (kind == AttentionKind.COSFORMER && cosformerLength == CosformerLength.CAPPED)
                ? maxLength : Long.MAX_VALUE;
    }

    /** Why {@link #lengthLimit()} is what it is, for messages. */
    String lengthLimitReason() {
        return positions == Positions.LEARNED ? "learned positions end at maxLength=" + maxLength
                : "cosFormer's causal proportions i/N need N=maxLength=" + maxLength
                        + " (CosformerLength.CAPPED; TRAINING keeps N and goes on past it)";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change a few fields. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.kind = kind;
        b.vocabSize = vocabSize;
        b.maxLength = maxLength;
        b.dModel = dModel;
        b.heads = heads;
        b.headDim = headDim;
        b.ffnDim = ffnDim;
        b.layers = layers;
        b.dropout = dropout;
        b.numClasses = numClasses;
        b.tiedEmbeddings = tiedEmbeddings;
        b.leapHidden = leapHidden;
        b.clamp = clamp;
        b.chunkSize = chunkSize;
        b.trainingForm = trainingForm;
        b.padId = padId;
        b.positions = positions;
        b.cosformerLength = cosformerLength;
        return b;
    }

    /** H·D, the width of the projected queries, keys and values. */
    public int innerDim() {
        return heads * headDim;
    }

    /**
     * A new attention core of this configuration's kind.
     *
     * @param causal whether it is used causally (a causal cosFormer gets N = maxLength and the
     *     configuration's {@link CosformerLength})
     */
    public AttentionCore<?> newAttentionCore(boolean causal) {
        if (kind == AttentionKind.SOFTMAX) {
            return SoftmaxAttention.builder().optCausal(causal).build();
        }
        LinearAttention.Builder b = LinearAttention.builder().setKind(kind).setHeadDim(headDim).optClamp(clamp)
                .optChunkSize(chunkSize).optForm(trainingForm).optCausal(causal);
        b.optLeapHidden(leapHidden);
        if (causal && kind == AttentionKind.COSFORMER) {
            b.optSequenceLength(maxLength).optCosformerLength(cosformerLength);
        }
        return b.build();
    }

    /** This configuration as JSON (stored in checkpoints). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("version", JSON_VERSION);
        o.addProperty("kind", kind.name());
        o.addProperty("vocabSize", vocabSize);
        o.addProperty("maxLength", maxLength);
        o.addProperty("dModel", dModel);
        o.addProperty("heads", heads);
        o.addProperty("headDim", headDim);
        o.addProperty("ffnDim", ffnDim);
        o.addProperty("layers", layers);
        o.addProperty("dropout", dropout);
        o.addProperty("numClasses", numClasses);
        o.addProperty("tiedEmbeddings", tiedEmbeddings);
        o.addProperty("leapHidden", leapHidden);
        o.addProperty("clamp", clamp);
        o.addProperty("chunkSize", chunkSize);
        o.addProperty("trainingForm", trainingForm.name());
        o.addProperty("padId", padId);
        o.addProperty("positions", positions.name());
        o.addProperty("cosformerLength", cosformerLength.name());
        return o;
    }

    /**
     * Reads {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming the missing or bad field
     */
    public static ModelConfig fromJson(JsonObject o) {
        Json j = new Json("model config", o);
        int version = j.integer("version");
        Checks.require(version == JSON_VERSION, "model config version", JSON_VERSION, version);
        return new ModelConfig(j.enumValue("kind", AttentionKind.class), j.integer("vocabSize"),
                j.integer("maxLength"), j.integer("dModel"), j.integer("heads"), j.integer("headDim"),
                j.integer("ffnDim"), j.integer("layers"), j.real("dropout"), j.integer("numClasses"),
                j.bool("tiedEmbeddings"), j.optInteger("leapHidden"), j.optReal("clamp"), j.integer("chunkSize"),
                j.enumValue("trainingForm", Form.class), j.integer("padId"),
                o.has("positions") ? j.enumValue("positions", Positions.class) : Positions.LEARNED, // before: learned
                o.has("cosformerLength") ? j.enumValue("cosformerLength", CosformerLength.class)
                        : CosformerLength.CAPPED); // before: capped
    }

    /** Parses {@link #toJson()} text. */
    public static ModelConfig fromJson(String json) {
        return fromJson(JsonParser.parseString(json).getAsJsonObject());
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private AttentionKind kind = AttentionKind.LEAP; // the paper's mechanism
        private int vocabSize = -1; // required
        private int maxLength = -1; // required
        private int dModel = 64; // LRA
        private int heads = 2; // LRA
        private int headDim = 32; // LRA: d_model / heads
        private int ffnDim = 128; // LRA
        private int layers = 2; // LRA
        private double dropout = 0.1; // LRA
        private int numClasses = 0; // 0: language model
        private boolean tiedEmbeddings = true; // GPT-2 style, fewer parameters
        private Integer leapHidden = null; // D/4 as fairseq-leapformer
        private Double clamp = LinearSpec.DEFAULT_CLAMP; // 0.1 as fairseq-leapformer
        private int chunkSize = LinearSpec.DEFAULT_CHUNK; // 64 tokens
        private Form trainingForm = Form.CHUNKED; // O(N·C) memory, same result as QUADRATIC
        private int padId = 0; // id 0 pads
        private Positions positions = null; // SINUSOIDAL for a language model (no length cap), LEARNED otherwise
        private CosformerLength cosformerLength = CosformerLength.CAPPED; // N = maxLength, sequences end there

        private Builder() {}

        public Builder setVocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        public Builder setMaxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        public Builder optKind(AttentionKind kind) {
            this.kind = kind;
            return this;
        }

        public Builder optDModel(int dModel) {
            this.dModel = dModel;
            return this;
        }

        public Builder optHeads(int heads) {
            this.heads = heads;
            return this;
        }

        public Builder optHeadDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        public Builder optFfnDim(int ffnDim) {
            this.ffnDim = ffnDim;
            return this;
        }

        public Builder optLayers(int layers) {
            this.layers = layers;
            return this;
        }

        public Builder optDropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        public Builder optTiedEmbeddings(boolean tied) {
            this.tiedEmbeddings = tied;
            return this;
        }

        /**
         * LeaP hidden size h ≥ 1, or null for head_dim/4 (the default); the same knob as
         * {@link LinearAttention.Builder#optLeapHidden}.
         */
        public Builder optLeapHidden(Integer hidden) {
            this.leapHidden = hidden;
            return this;
        }

        public Builder optClamp(Double clamp) {
            this.clamp = clamp;
            return this;
        }

        public Builder optChunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        public Builder optTrainingForm(Form form) {
            this.trainingForm = form;
            return this;
        }

        public Builder optPadId(int padId) {
            this.padId = padId;
            return this;
        }

        /** LEARNED, SINUSOIDAL or NONE (default: SINUSOIDAL for a language model, LEARNED for a classifier). */
        public Builder optPositions(Positions positions) {
            this.positions = positions;
            return this;
        }

        /**
         * What a causal cosFormer takes for N: CAPPED (default; N = maxLength, sequences end there),
         * TRAINING (N = maxLength kept past it: the length unknown) or KNOWN (N = each sequence's own
         * length, given whole: the length known). Other attentions ignore it.
         */
        public Builder optCosformerLength(CosformerLength cosformerLength) {
            this.cosformerLength = cosformerLength;
            return this;
        }

        /** Validates (messages name the expected and the found value) and builds. */
        public ModelConfig build() {
            LeapEngine.ensureInitialized();
            return new ModelConfig(kind, vocabSize, maxLength, dModel, heads, headDim, ffnDim, layers, dropout,
                    numClasses, tiedEmbeddings, leapHidden, clamp, chunkSize, trainingForm, padId,
                    positions != null ? positions : numClasses == 0 ? Positions.SINUSOIDAL : Positions.LEARNED,
                    cosformerLength);
        }
    }
}
