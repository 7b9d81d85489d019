package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.NDManager
import ai.djl.ndarray.types.DataType
import ai.djl.ndarray.types.Shape
import org.jetbrains.kotlinx.multik.ndarray.data.D1
import org.jetbrains.kotlinx.multik.ndarray.data.D2
import org.jetbrains.kotlinx.multik.ndarray.data.D3
import org.jetbrains.kotlinx.multik.ndarray.data.D3Array
import org.jetbrains.kotlinx.multik.ndarray.data.D4
import org.jetbrains.kotlinx.multik.ndarray.data.DN
import org.jetbrains.kotlinx.multik.ndarray.data.Dimension
import org.jetbrains.kotlinx.multik.ndarray.data.MemoryView
import org.jetbrains.kotlinx.multik.ndarray.data.MemoryViewDoubleArray
import org.jetbrains.kotlinx.multik.ndarray.data.MemoryViewFloatArray
import org.jetbrains.kotlinx.multik.ndarray.data.MultiArray
import org.jetbrains.kotlinx.multik.ndarray.data.dimensionOf
import org.leapformer.inspect.LayerStep
import org.leapformer.inspect.LayerTrace
import org.leapformer.inspect.Values
import kotlin.reflect.KClass
import org.jetbrains.kotlinx.multik.ndarray.data.NDArray as MkArray

// Conversions between DJL NDArrays (and the library's Values) and Multik arrays. Every conversion
// copies; the rank is named by the Multik dimension: D1 .. D4, or DN for any rank.

/**
 * A Multik copy of this float32 tensor, typed by rank: `x.toMultik<D2>()` for a matrix,
 * `x.toMultik<DN>()` for any rank. For float64 tensors see [toMultikDouble].
 *
 * @throws IllegalArgumentException when the tensor is not float32, is a scalar, or its rank
 *     differs from the one [D] names
 */
inline fun <reified D : Dimension> NDArray.toMultik(): MkArray<Float, D> = toMultik(D::class)

/** [toMultik] with the dimension given as a class; the reified form is the one to call. */
fun <D : Dimension> NDArray.toMultik(dimension: KClass<D>): MkArray<Float, D> {
    requireType(DataType.FLOAT32, "toMultik", "toMultikDouble<${dimension.simpleName}>()")
    return multik(MemoryViewFloatArray(toFloatArray()), intShape(), dimension, "toMultik")
}

/**
 * A Multik copy of this float64 tensor, typed by rank: `x.toMultikDouble<D2>()` gives a
 * `D2Array<Double>`. For float32 tensors see [toMultik].
 *
 * @throws IllegalArgumentException when the tensor is not float64, is a scalar, or its rank
 *     differs from the one [D] names
 */
inline fun <reified D : Dimension> NDArray.toMultikDouble(): MkArray<Double, D> = toMultikDouble(D::class)

/** [toMultikDouble] with the dimension given as a class; the reified form is the one to call. */
@PublishedApi
internal fun <D : Dimension> NDArray.toMultikDouble(dimension: KClass<D>): MkArray<Double, D> {
    requireType(DataType.FLOAT64, "toMultikDouble", "toMultik<${dimension.simpleName}>()")
    return multik(MemoryViewDoubleArray(toDoubleArray()), intShape(), dimension, "toMultikDouble")
}

/**
 * A Multik copy of these values, typed by rank: `values.toMultik<D3>()` for (B, H, N) values.
 *
 * @throws IllegalArgumentException when the values are a scalar or their rank differs from the
 *     one [D] names
 */
inline fun <reified D : Dimension> Values.toMultik(): MkArray<Float, D> = toMultik(D::class)

/** [Values.toMultik] with the dimension given as a class; the reified form is the one to call. */
@PublishedApi
internal fun <D : Dimension> Values.toMultik(dimension: KClass<D>): MkArray<Float, D> =
    multik(MemoryViewFloatArray(data().copyOf()), shape().map(Math::toIntExact).toIntArray(), dimension, "toMultik")

/**
 * One quantity of this layer as a float32 Multik array (copied through [LayerTrace.values], so
 * float64 traces work too), e.g. `trace.layer(0).multik<D4>(LayerTrace.Quantity.WEIGHTS)`.
 * INPUT and OUTPUT are (B, N, Dm), [D3]; every other quantity is rank 4, [D4]: q, k (B, H, N, D),
 * v and attention (B, H, N, Dv), the proportions (B, H, N, 1), re-weighting and weights (B, H, N, N).
 *
 * @throws IllegalArgumentException when [D] names another rank, or N is too long for an N×N map
 * @throws IllegalStateException for proportions or re-weighting of an attention that has none
 */
inline fun <reified D : Dimension> LayerTrace.multik(quantity: LayerTrace.Quantity): MkArray<Float, D> =
    values(quantity).toMultik(D::class)

/**
 * The weights the new token gave every token so far, (B, H, t+1): `rows[b, h, j]` is what token
 * t gave token j in sequence b, head h.
 *
 * @throws IllegalStateException when the stepper did not keep past keys
 */
fun LayerStep.attentionRows(): D3Array<Float> = attentionRow()?.toMultik(D3::class)
    ?: throw IllegalStateException("attentionRows of layer ${layer()}: expected a stepper that keeps past keys " +
        "(keepKeys = true), found one that does not")

/**
 * A DJL float32 copy of this Multik array, of the same shape, on [manager]. Views (transposed,
 * sliced) are copied in their logical row-major order.
 */
@JvmName("floatToNDArray")
fun <D : Dimension> MultiArray<Float, D>.toNDArray(manager: NDManager): NDArray {
    val values = if (consistent) data.getFloatArray() else iterator().let { v -> FloatArray(size) { v.next() } }
    return manager.create(values, djlShape())
}

/** A DJL float64 copy of this Multik array; see the float overload. */
@JvmName("doubleToNDArray")
fun <D : Dimension> MultiArray<Double, D>.toNDArray(manager: NDManager): NDArray {
    val values = if (consistent) data.getDoubleArray() else iterator().let { v -> DoubleArray(size) { v.next() } }
    return manager.create(values, djlShape())
}

private fun MultiArray<*, *>.djlShape() = Shape(*shape.map(Int::toLong).toLongArray())

private fun NDArray.intShape(): IntArray = shape.shape.map(Math::toIntExact).toIntArray()

/** Refuses other types than [type], suggesting [alternative] for the other of float32 and float64. */
private fun NDArray.requireType(type: DataType, function: String, alternative: String) =
    require(dataType == type) {
        val hint = if (dataType == DataType.FLOAT32 || dataType == DataType.FLOAT64) "use $alternative or " else ""
        "$function: expected a $type NDArray, found $dataType $shape; ${hint}convert with toType(DataType.${type.name}, false)"
    }

/** A row-major Multik array over [data], after checking that [shape] has the rank [dimension] names. */
private fun <T, D : Dimension> multik(data: MemoryView<T>, shape: IntArray, dimension: KClass<D>,
        function: String): MkArray<T, D> {
    val rank = when (dimension) {
        D1::class -> 1
        D2::class -> 2
        D3::class -> 3
        D4::class -> 4
        DN::class -> null
        else -> throw IllegalArgumentException(
            "$function: expected dimension D1, D2, D3, D4 or DN, found ${dimension.simpleName}")
    }
    val shown = shape.joinToString(", ", "(", ")")
    require(shape.isNotEmpty()) { "$function: expected an array of rank 1 or more, found a scalar" }
    require(rank == null || shape.size == rank) {
        "$function<${dimension.simpleName}>: expected rank $rank, found rank ${shape.size} $shown"
    }
    @Suppress("UNCHECKED_CAST")
    val dim = if (rank == null) DN(shape.size) as D else dimensionOf<D>(shape.size)
    return MkArray(data, shape = shape, dim = dim)
}
