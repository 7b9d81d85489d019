package org.leapformer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
 * Token embedding plus a learned position embedding: tokens (B, N) → (B, N, Dm), positions
 * offset..offset+N−1. Both tables start as N(0, 0.02²) (GPT-2).
 */
public final class Embeddings extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int vocabSize;
    private final int maxLength;
    private final int dModel;
    private final Parameter tokens;
    private final Parameter positions;

    public Embeddings(int vocabSize, int maxLength, int dModel) {
        super(VERSION);
        this.vocabSize = vocabSize;
        this.maxLength = maxLength;
        this.dModel = dModel;
        tokens = addParameter(table("token", vocabSize, dModel));
        positions = addParameter(table("position", maxLength, dModel));
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
        Checks.require(offset + n <= maxLength, "positions", "at most maxLength=" + maxLength,
                "positions up to " + (offset + n));
        Checks.ids("token ids", ids, vocabSize, "the vocabulary");
        Device d = ids.getDevice();
        NDArray tok = ps.getValue(tokens, d, training);
        NDArray pos = ps.getValue(positions, d, training);
        try (NDArray idx = ids.getDataType() == DataType.INT64 ? null : ids.toType(DataType.INT64, false)) {
            NDArray use = idx == null ? ids : idx;
            try (NDArray e = use.getNDArrayInternal().embedding(use, tok, SparseFormat.DENSE).singletonOrThrow();
                    NDArray p = pos.get(new NDIndex("{}:{}", offset, offset + n))) {
                return e.add(p); // (B, N, Dm)
            }
        }
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
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("Embeddings", VERSION, loadVersion);
    }
}
