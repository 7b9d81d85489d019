package org.leapformer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.Checks;

/**
 * Token embedding plus position information: tokens (B, N) → (B, N, Dm) at positions
 * offset..offset+N−1. The token table starts as N(0, 0.02²) (GPT-2); positions are a learned table
 * of the same start (capped at maxLength), the fixed sinusoidal code (any position), or none
 * ({@link Positions}).
 *
 * <pre>
 *   sinusoidal: P[t, 2i] = a·sin(t / 10000^(2i/Dm)),  P[t, 2i+1] = a·cos(t / 10000^(2i/Dm))
 * </pre>
 *
 * with a = 0.02·√2, so that the code has the token table's starting scale (RMS 0.02): at amplitude
 * 1 it would drown the freshly initialised token embeddings.
 */
public final class Embeddings extends AbstractBlock {

    private static final byte VERSION = 1;
    /** Amplitude of the sinusoidal code: RMS 0.02, the token table's initial scale. */
    static final double SINUSOID_AMPLITUDE = 0.02 * Math.sqrt(2);

    private final int vocabSize;
    private final int maxLength;
    private final int dModel;
    private final Parameter tokens;
    private final Positions kind;
    private final Parameter positions;

    /** Token and learned position tables (the LRA setup). */
    public Embeddings(int vocabSize, int maxLength, int dModel) {
        this(vocabSize, maxLength, dModel, Positions.LEARNED);
    }

    /**
     * @param maxLength rows of a learned position table (ignored otherwise)
     */
    public Embeddings(int vocabSize, int maxLength, int dModel, Positions kind) {
        super(VERSION);
        this.vocabSize = vocabSize;
        this.maxLength = maxLength;
        this.dModel = dModel;
        this.kind = kind;
        tokens = addParameter(table("token", vocabSize, dModel));
        positions = kind == Positions.LEARNED ? addParameter(table("position", maxLength, dModel)) : null;
    }

    private static Parameter table(String name, int rows, int dModel) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(rows, dModel)).build();
        p.setInitializer(new NormalInitializer(0.02f));
        return p;
    }

    /**
     * @param ids token ids (B, N), an integer type
     * @param offset absolute position of the first token
     * @return (B, N, Dm)
     */
    public NDArray embed(ParameterStore ps, NDArray ids, long offset, boolean training) {
        Checks.require(ids != null && ids.getShape().dimension() == 2, "token ids", "a (B, N) array",
                ids == null ? "null" : ids.getShape());
        Checks.require(!ids.getDataType().isFloating(), "token ids data type", "an integer type", ids.getDataType());
        long n = ids.getShape().get(1);
        Checks.require(offset >= 0, "position offset", "a position >= 0", offset);
        if (kind == Positions.LEARNED) {
            Checks.require(offset + n <= maxLength, "positions", "at most maxLength=" + maxLength
                    + " (learned positions end there)", "positions up to " + (offset + n));
        }
        Checks.ids("token ids", ids, vocabSize, "the vocabulary");
        Device d = ids.getDevice();
        NDArray tok = ps.getValue(tokens, d, training);
        try (NDArray idx = ids.getDataType() == DataType.INT64 ? null : ids.toType(DataType.INT64, false)) {
            NDArray use = idx == null ? ids : idx;
            NDArray e = use.getNDArrayInternal().embedding(use, tok, SparseFormat.DENSE).singletonOrThrow();
            if (kind == Positions.NONE) {
                return e; // (B, N, Dm)
            }
            try (e; NDArray p = kind == Positions.LEARNED
                    ? ps.getValue(positions, d, training).get(new NDIndex("{}:{}", offset, offset + n))
                    : sinusoidal(ids.getManager(), offset, n, tok.getDataType())) {
                return e.add(p); // (B, N, Dm)
            }
        }
    }

    /** The sinusoidal code of positions offset..offset+n−1, (n, Dm). */
    private NDArray sinusoidal(ai.djl.ndarray.NDManager m, long offset, long n, DataType type) {
        double a = SINUSOID_AMPLITUDE;
        double[] v = new double[Math.toIntExact(n * dModel)];
        for (int t = 0; t < n; t++) {
            double pos = offset + t;
            for (int i = 0; i < dModel / 2; i++) {
                double angle = pos / Math.pow(10000.0, 2.0 * i / dModel);
                v[t * dModel + 2 * i] = a * Math.sin(angle);
                v[t * dModel + 2 * i + 1] = a * Math.cos(angle);
            }
        }
        NDArray p = m.create(v, new Shape(n, dModel));
        if (type == DataType.FLOAT64) {
            return p;
        }
        try (p) {
            return p.toType(type, false);
        }
    }

    /** The token table parameter (V, Dm). */
    Parameter tokenParameter() {
        return tokens;
    }

    /** The learned position table parameter (maxLength, Dm), or null. */
    Parameter positionParameter() {
        return positions;
    }

    /** How positions are encoded. */
    public Positions positions() {
        return kind;
    }

    /** The token table (V, Dm) as the store serves it (for a tied output projection). */
    public NDArray tokenTable(ParameterStore ps, Device device, boolean training) {
        return ps.getValue(tokens, device, training);
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(embed(ps, inputs.singletonOrThrow(), 0, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), dModel)};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("Embeddings", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }
}
