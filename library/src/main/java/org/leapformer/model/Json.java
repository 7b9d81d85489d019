package org.leapformer.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Arrays;

/** Typed reads from a JSON object with messages that name the field (used by configs and checkpoints). */
public final class Json {

    private final String what;
    private final JsonObject o;

    public Json(String what, JsonObject o) {
        this.what = what;
        this.o = o;
    }

    private JsonElement required(String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(what + ": expected a field '" + field + "', found none");
        }
        return e;
    }

    private <T> T read(String field, String type, java.util.function.Function<JsonElement, T> f) {
        JsonElement e = required(field);
        try {
            return f.apply(e);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(what + ": expected " + type + " in '" + field + "', found " + e, ex);
        }
    }

    public int integer(String field) {
        return read(field, "an integer", JsonElement::getAsInt);
    }

    public long longValue(String field) {
        return read(field, "an integer", JsonElement::getAsLong);
    }

    public double real(String field) {
        return read(field, "a number", JsonElement::getAsDouble);
    }

    public boolean bool(String field) {
        return read(field, "true or false", JsonElement::getAsBoolean);
    }

    public String string(String field) {
        return read(field, "a string", JsonElement::getAsString);
    }

    public JsonObject object(String field) {
        return read(field, "an object", JsonElement::getAsJsonObject);
    }

    public Integer optInteger(String field) {
        return o.has(field) && !o.get(field).isJsonNull() ? integer(field) : null;
    }

    public Double optReal(String field) {
        return o.has(field) && !o.get(field).isJsonNull() ? real(field) : null;
    }

    /** A number as JSON: the value when finite, JSON null otherwise (JSON has no NaN or infinity). */
    public static JsonElement number(double v) {
        return Double.isFinite(v) ? new com.google.gson.JsonPrimitive(v) : com.google.gson.JsonNull.INSTANCE;
    }

    public <E extends Enum<E>> E enumValue(String field, Class<E> type) {
        String s = string(field);
        try {
            return Enum.valueOf(type, s);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(what + ": expected one of " + Arrays.toString(type.getEnumConstants())
                    + " in '" + field + "', found " + s, ex);
        }
    }
}
