package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.types.DataType
import org.jetbrains.kotlinx.multik.api.mk
import org.jetbrains.kotlinx.multik.api.ndarray
import org.jetbrains.kotlinx.multik.ndarray.data.D1
import org.jetbrains.kotlinx.multik.ndarray.data.D2
import org.jetbrains.kotlinx.multik.ndarray.data.D3
import org.jetbrains.kotlinx.multik.ndarray.data.D4
import org.jetbrains.kotlinx.multik.ndarray.data.DN
import org.jetbrains.kotlinx.multik.ndarray.data.Dimension
import kotlin.reflect.KClass
import org.jetbrains.kotlinx.multik.ndarray.data.NDArray as MkArray

/**
 * A Multik copy of this float tensor, typed by rank: `x.toMultik<D2>()` for a matrix,
 * `x.toMultik<DN>()` for any rank.
 *
 * @throws IllegalArgumentException when the tensor is not float32, is a scalar, or its rank
 *     differs from the one [D] names
 */
inline fun <reified D : Dimension> NDArray.toMultik(): MkArray<Float, D> = toMultik(D::class)

/** [toMultik] with the dimension given as a class; the reified form is the one to call. */
@Suppress("UNCHECKED_CAST")
fun <D : Dimension> NDArray.toMultik(dimension: KClass<D>): MkArray<Float, D> {
    require(dataType == DataType.FLOAT32) {
        "toMultik: expected a float32 NDArray, found ${dataType} $shape; convert with toType(DataType.FLOAT32, false)"
    }
    val s = shape.shape.map { Math.toIntExact(it) }
    val expected = when (dimension) {
        D1::class -> 1
        D2::class -> 2
        D3::class -> 3
        D4::class -> 4
        DN::class -> null
        else -> throw IllegalArgumentException(
            "toMultik: expected dimension D1, D2, D3, D4 or DN, found ${dimension.simpleName}")
    }
    require(s.isNotEmpty()) { "toMultik: expected an NDArray of rank 1 or more, found a scalar" }
    require(expected == null || s.size == expected) {
        "toMultik<${dimension.simpleName}>: expected rank $expected, found rank ${s.size} $shape"
    }
    val data = toFloatArray()
    val array: MkArray<Float, *> = when (s.size) {
        1 -> mk.ndarray(data)
        2 -> mk.ndarray(data, s[0], s[1])
        3 -> mk.ndarray(data, s[0], s[1], s[2])
        4 -> mk.ndarray(data, s[0], s[1], s[2], s[3])
        else -> mk.ndarray(data, s[0], s[1], s[2], s[3], *s.drop(4).toIntArray())
    }
    return (if (dimension == DN::class) array.asDNArray() else array) as MkArray<Float, D>
}
