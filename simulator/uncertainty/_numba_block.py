"""Compiled (numba) parts of the fused Monte Carlo block kernel; see :mod:`.block_kernel`.

Imported only by :mod:`.block_kernel` when numba is present, never at package import (numba
costs about half a second to import). Every function is compiled once per machine and
cached (``cache=True``), runs without the GIL (``nogil=True``, so the local engine's threads
run blocks in parallel) and follows numpy's rules for 1/0 and 0/0 (``error_model="numpy"``).

Each scalar formula mirrors the numpy path operation for operation
(:func:`simulator.roq.model._run_model`, :func:`simulator.roq.model._closed_form_sums`,
the distributions' ``ppf`` and :func:`simulator.uncertainty.statistics.summarise_block`),
so the two paths agree to rounding (tested to 1e-12 relative).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")

# distribution codes (block_kernel.FAMILY_CODES)
VALUE, UNIFORM, TRIANGULAR, BETA_TABLE = 0, 1, 2, 3
# output codes (block_kernel.OUTPUT_CODES)
(NPV_WITH, NPV_WITHOUT, NPV_COST, NPV_GAIN, NPV_NET, ROQ, ROQ_NET, FINAL_SHARE, FINAL_SHARE_WITHOUT,
 RETENTION, BASELINE_RETENTION) = range(11)
# input slots (block_kernel.INPUT_SLOTS)
(MARKET_SIZE, MARKET_GROWTH, CHURN, COMPETITOR_RETENTION, COMPETITOR_SWITCHING, ATTRACTION, INITIAL_SHARE,
 RETENTION_IN, BASELINE_RETENTION_IN, SATISFIED, DELIGHTED, REPURCHASE_1, REPURCHASE_2, REPURCHASE_3,
 BASELINE_SATISFIED, BASELINE_DELIGHTED, BASELINE_SHARE, MARGIN, DISCOUNT_RATE, INITIAL_COST, ANNUAL_COST) = range(21)
N_SLOTS = 21
CLOSED_FORM_MIN_HORIZON = 8
NEAR_ONE = 1e-3


@njit(**_OPTIONS)
def _inverse_cdf_rows(u, first_row, codes, parameters, tables, table_of, tail_index, tail_tables, values):
    """Inverse CDFs of the uniforms ``u`` (rows first_row.., D) into ``values[:, first_row..]``."""
    n = u.shape[0]
    for j in range(u.shape[1]):  # column by column: each loop has one branch-free body
        code = codes[j]
        if code == VALUE:
            continue
        p = parameters[j]
        row = values[j, first_row:first_row + n]
        if code == UNIFORM:
            low, width = p[0], p[1] - p[0]
            for i in range(n):
                row[i] = low + u[i, j] * width
        elif code == TRIANGULAR:
            a, c, b, split = p[0], p[1], p[2], p[3]
            width = b - a
            for i in range(n):
                x = u[i, j]
                if x < split:
                    row[i] = a + math.sqrt(x * width * (c - a))
                else:
                    row[i] = b - math.sqrt((1.0 - x) * width * (b - c))
        else:  # BETA_TABLE: distributions._ScaledBeta.standard_ppf, operation for operation
            nodes = tables[table_of[j]]
            lower_table, upper_table = tail_tables[table_of[j], 0], tail_tables[table_of[j], 1]
            last = nodes.shape[0] - 2  # _NODES - 1
            scale = float(nodes.shape[0] - 1)
            tail_last = lower_table.shape[0] - 2  # _TAIL_NODES - 1
            tail_scale = float(lower_table.shape[0] - 1)
            low_tail, high_tail = tail_index[j, 0], tail_index[j, 1]
            lower_mass, upper_mass = low_tail / scale, (scale - high_tail) / scale
            low, width, inverse_alpha, inverse_beta = p[0], p[1] - p[0], p[2], p[3]
            for i in range(n):
                x = u[i, j]
                t = x * scale
                index = int(t)
                if index < 0:
                    index = 0
                elif index > last:
                    index = last
                if index >= low_tail and index < high_tail:
                    t -= index
                    start = nodes[index]
                    row[i] = low + (start + (nodes[index + 1] - start) * t) * width
                else:  # the outer 0.1%: the tail tables against (u / u_tail)^(1 / alpha)
                    upper = index >= high_tail
                    v = ((1.0 - x) / upper_mass) ** inverse_beta if upper else (x / lower_mass) ** inverse_alpha
                    t = v * tail_scale
                    node = min(int(t), tail_last)
                    t -= node
                    table = upper_table if upper else lower_table
                    start = table[node]
                    y = start + (table[node + 1] - start) * t
                    row[i] = low + ((1.0 - y) if upper else y) * width


@njit(**_OPTIONS)
def inverse_cdfs(u, codes, parameters, tables, table_of, tail_index, tail_tables, values):
    """Inverse CDFs of the uniforms ``u`` (n, D) into ``values`` (D, n), column by column.

    Codes: VALUE (column already filled by numpy), UNIFORM (low, high), TRIANGULAR
    (low, mode, high, split), BETA_TABLE (low, high, 1/alpha, 1/beta; body table
    ``tables[table_of[j]]`` interpolated linearly, the outer 0.1% of probability from the
    tail tables ``tail_tables[table_of[j]]``, as distributions._ScaledBeta.standard_ppf).
    """
    _inverse_cdf_rows(u, 0, codes, parameters, tables, table_of, tail_index, tail_tables, values)


#: numpy's PCG64 multiplier (pcg64.h, PCG_DEFAULT_MULTIPLIER_128).
PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645


@intrinsic
def _pcg64_step(typingctx, high, low, increment_high, increment_low):
    """One step of numpy's PCG64 (128-bit LCG, XSL-RR output), in LLVM's 128-bit integers:
    ``(state_high, state_low, next64)``. numpy calls its step through a function pointer
    per value; inlined, a double costs about 2.3 ns instead of 4.2 here."""
    signature = types.UniTuple(types.uint64, 3)(types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)

        def wide(high_word, low_word):
            return builder.or_(builder.shl(builder.zext(high_word, i128), ir.Constant(i128, 64)), builder.zext(low_word, i128))

        state = builder.add(builder.mul(wide(args[0], args[1]), ir.Constant(i128, PCG64_MULTIPLIER)), wide(args[2], args[3]))
        new_high = builder.trunc(builder.lshr(state, ir.Constant(i128, 64)), i64)
        new_low = builder.trunc(state, i64)
        mixed = builder.xor(new_high, new_low)
        rotate_right = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i64, [i64, i64, i64]), "llvm.fshr.i64")
        output = builder.call(rotate_right, [mixed, mixed, builder.lshr(new_high, ir.Constant(i64, 58))])
        return context.make_tuple(builder, sig.return_type, [new_high, new_low, output])

    return signature, codegen


#: Rows of uniforms drawn at a time by random_inverse_cdfs (32 kB for 4 inputs: in L1/L2).
UNIFORM_TILE = 1024


@njit(**_OPTIONS)
def random_inverse_cdfs(state, n, codes, parameters, tables, table_of, tail_index, tail_tables, values):
    """:func:`inverse_cdfs` of ``rng.random((n, D)) + 2**-54`` (the random sampler's block),
    ``state`` the block Generator's PCG64 (state high, low, increment high, low): the same
    numbers as numpy draws (next64 >> 11) * 2**-53, in the same order, tile by tile, without
    the block's uniforms ever being in memory at once."""
    dims = codes.shape[0]
    tile = np.empty((UNIFORM_TILE, dims))
    high, low, increment_high, increment_low = state[0], state[1], state[2], state[3]
    for begin in range(0, n, UNIFORM_TILE):
        rows = min(UNIFORM_TILE, n - begin)
        for i in range(rows):
            for j in range(dims):
                high, low, bits = _pcg64_step(high, low, increment_high, increment_low)
                tile[i, j] = np.int64(bits >> np.uint64(11)) * (1.0 / 9007199254740992.0) + 2.0**-54
        _inverse_cdf_rows(tile[:rows], begin, codes, parameters, tables, table_of, tail_index, tail_tables, values)


@njit(**_OPTIONS)
def _integer_power(base, exponent):
    """base**exponent, the products in the order of simulator.roq.model._integer_power."""
    result = 1.0
    first = True
    square = base
    while exponent:
        if exponent & 1:
            if first:
                result = square
                first = False
            else:
                result = result * square
        exponent >>= 1
        if exponent:
            square = square * square
    return result


#: Scenarios per tile: the tile's ~30 working rows (240 kB) stay in the L2 cache, and each
#: loop below runs over one row, so the compiler vectorises it (4 doubles per AVX2 step).
TILE = 128


@njit(**_OPTIONS)
def _tile_integer_power(base, exponent, m, result, square):
    """result[:m] = base[:m]**exponent by repeated squaring, the products in the order of
    simulator.roq.model._integer_power (so the same bits)."""
    first = True
    for i in range(m):
        square[i] = base[i]
    while exponent:
        if exponent & 1:
            if first:
                for i in range(m):
                    result[i] = square[i]
                first = False
            else:
                for i in range(m):
                    result[i] = result[i] * square[i]
        exponent >>= 1
        if exponent:
            for i in range(m):
                square[i] = square[i] * square[i]


@njit(**_OPTIONS)
def _tile_power_sum(y, horizon, m, out, scratch):
    """out[:m] = y + y^2 + ... + y^T (simulator.roq.model._power_sum, element by element)."""
    _tile_integer_power(y, horizon, m, out, scratch)
    near = 0
    for i in range(m):
        out[i] = y[i] * (out[i] - 1.0) / (y[i] - 1.0)
        near += abs(y[i] - 1.0) < 1e-2  # a vectorised count; the fix below is rarely needed
    if near:
        for i in range(m):
            step = y[i] - 1.0
            if abs(step) < 1e-2:  # near y = 1 the quotient cancels
                out[i] = float(horizon) if step == 0.0 else y[i] * math.expm1(horizon * math.log1p(step)) / step


@njit(**_OPTIONS)
def _tile_arm(x, q, start, inflow_ratio, n0, horizon, m, present, final, work):
    """One arm's closed form (simulator.roq.model._closed_form_sums): present value
    sum_t M_t N_t (1 + i)^-t into ``present`` and M_T into ``final``."""
    sum_qx, sum_x, qx, scratch = work[0], work[1], work[2], work[3]
    for i in range(m):
        qx[i] = q[i] * x[i]
    _tile_power_sum(qx, horizon, m, sum_qx, scratch)
    _tile_power_sum(x, horizon, m, sum_x, scratch)
    for i in range(m):
        weighted = (sum_x[i] - sum_qx[i]) / (1.0 - q[i])
        present[i] = n0[i] * (start[i] * sum_qx[i] + inflow_ratio[i] * weighted)
    _tile_integer_power(q, horizon, m, final, scratch)
    near = 0
    for i in range(m):
        final[i] = final[i] * start[i] + inflow_ratio[i] * ((1.0 - final[i]) / (1.0 - q[i]))
        near += abs(q[i] - 1.0) < NEAR_ONE
    for i in range(m if near else 0):
        step = q[i] - 1.0
        if abs(step) < NEAR_ONE:  # the divided differences cancel: sum the terms
            total = 0.0
            for t in range(1, horizon + 1):
                ratio = float(t) if step == 0.0 else math.expm1(t * math.log1p(step)) / step
                total += x[i] ** float(t) * ratio
            present[i] = n0[i] * (start[i] * sum_qx[i] + inflow_ratio[i] * total)
            power = _integer_power(q[i], horizon)
            geometric = float(horizon) if step == 0.0 else math.expm1(horizon * math.log1p(step)) / step
            final[i] = power * start[i] + inflow_ratio[i] * geometric


@njit(**_OPTIONS)
def _mix_retention(satisfied, delighted, r1, r2, r3, convention, m, out):
    """(1 - s) r1 + s r2 + d (r3 - r2), s = satisfied + delighted (or satisfied only)."""
    for i in range(m):
        mix = satisfied[i] + delighted[i] if convention == 0 else satisfied[i]
        out[i] = (1.0 - mix) * r1[i] + mix * r2[i] + delighted[i] * (r3[i] - r2[i])


# working rows of a tile, after the N_SLOTS input rows
(W_SWITCHING, W_RETENTION, W_BASELINE_RETENTION, W_SLOPE, W_SLOPE_WITHOUT, W_ONE_YEAR, W_GROWTH, W_INFLOW, W_INVERSE_GROWTH,
 W_PRESENT, W_PRESENT_WITHOUT, W_SHARE, W_SHARE_WITHOUT, W_ANNUITY, W_DISCOUNT, W_SIZE, W_X, W_INFLOW_RATIO, W_Q,
 W_WORK) = range(N_SLOTS, N_SLOTS + 20)
TILE_ROWS = N_SLOTS + 20 + 4


@njit(**_OPTIONS)
def model_outputs(values, sources, constants, modes, horizon, output_codes, out):
    """The ROQ model per scenario into ``out`` (K, n), one row per requested output code.

    ``sources[s]`` is the row of ``values`` holding input slot s, or -1 for the constant
    ``constants[s]``. ``modes``: [competitor (0 R', 1 switching s), with-arm (0 retention,
    1 satisfaction mix), without-arm (0 retention, 1 mix, 2 constant share), convention
    (0 satisfied_or_delighted, 1 satisfied_only)]. Below 8 years the year recursion, from
    8 the closed-form sums, exactly as simulator.roq.evaluate; worked in tiles of TILE
    scenarios, one vectorised loop per operation.
    """
    n = out.shape[1]
    competitor_mode, with_mode, without_mode, convention = modes[0], modes[1], modes[2], modes[3]
    w = np.empty((TILE_ROWS, TILE))
    for s in range(N_SLOTS):  # constant inputs fill their rows once: no loop below writes them
        if sources[s] < 0:
            w[s, :] = constants[s]
    for begin in range(0, n, TILE):
        m = min(TILE, n - begin)
        for s in range(N_SLOTS):  # the tile's sampled inputs, one row per slot
            row = sources[s]
            if row >= 0:
                source = values[row, begin:begin + m]
                for i in range(m):
                    w[s, i] = source[i]
        churn = w[CHURN]
        switching = w[W_SWITCHING]
        if competitor_mode == 1:
            for i in range(m):
                switching[i] = w[COMPETITOR_SWITCHING, i]
        else:
            for i in range(m):
                switching[i] = 1.0 - w[COMPETITOR_RETENTION, i] - churn[i]
        retention = w[W_RETENTION]
        if with_mode == 1:
            _mix_retention(w[SATISFIED], w[DELIGHTED], w[REPURCHASE_1], w[REPURCHASE_2], w[REPURCHASE_3], convention, m, retention)
        else:
            for i in range(m):
                retention[i] = w[RETENTION_IN, i]
        baseline = w[W_BASELINE_RETENTION]
        if without_mode == 1:
            _mix_retention(w[BASELINE_SATISFIED], w[BASELINE_DELIGHTED], w[REPURCHASE_1], w[REPURCHASE_2], w[REPURCHASE_3], convention, m, baseline)
        elif without_mode == 0:
            for i in range(m):
                baseline[i] = w[BASELINE_RETENTION_IN, i]
        else:
            for i in range(m):
                baseline[i] = math.nan
        constant_without = without_mode == 2
        slope, slope_without = w[W_SLOPE], w[W_SLOPE_WITHOUT]
        one_year, growth, inflow, inverse_growth = w[W_ONE_YEAR], w[W_GROWTH], w[W_INFLOW], w[W_INVERSE_GROWTH]
        attraction, rate = w[ATTRACTION], w[DISCOUNT_RATE]
        for i in range(m):
            slope[i] = retention[i] - switching[i]
            slope_without[i] = baseline[i] - switching[i]
            one_year[i] = 1.0 / (1.0 + rate[i])
            growth[i] = 1.0 + w[MARKET_GROWTH, i]
            inflow[i] = switching[i] + attraction[i] * (growth[i] - 1.0 + churn[i])
            inverse_growth[i] = 1.0 / growth[i]
        present, present_without, share, share_without = w[W_PRESENT], w[W_PRESENT_WITHOUT], w[W_SHARE], w[W_SHARE_WITHOUT]
        annuity, n0, start, given = w[W_ANNUITY], w[MARKET_SIZE], w[INITIAL_SHARE], w[BASELINE_SHARE]
        if horizon >= CLOSED_FORM_MIN_HORIZON:
            x, inflow_ratio, q, work = w[W_X], w[W_INFLOW_RATIO], w[W_Q], w[W_WORK:W_WORK + 4]
            for i in range(m):
                x[i] = growth[i] * one_year[i]
                inflow_ratio[i] = inflow[i] * inverse_growth[i]
                q[i] = slope[i] * inverse_growth[i]
            _tile_arm(x, q, start, inflow_ratio, n0, horizon, m, present, share, work)
            if constant_without:
                _tile_power_sum(x, horizon, m, present_without, work[0])
                for i in range(m):
                    present_without[i] = n0[i] * given[i] * present_without[i]
                    share_without[i] = given[i]
            else:
                for i in range(m):
                    q[i] = slope_without[i] * inverse_growth[i]
                _tile_arm(x, q, start, inflow_ratio, n0, horizon, m, present_without, share_without, work)
            _tile_power_sum(one_year, horizon, m, annuity, work[0])
        else:
            discount, size = w[W_DISCOUNT], w[W_SIZE]
            for i in range(m):
                discount[i] = one_year[i]
                annuity[i] = 0.0
                present[i] = 0.0
                present_without[i] = 0.0
                size[i] = n0[i]
                share[i] = start[i]
                share_without[i] = given[i] if constant_without else start[i]
            for _ in range(horizon):
                for i in range(m):  # the branch is the same for every scenario: the compiler hoists it
                    size[i] = size[i] * growth[i]
                    share[i] = (slope[i] * share[i] + inflow[i]) * inverse_growth[i]
                    if not constant_without:
                        share_without[i] = (slope_without[i] * share_without[i] + inflow[i]) * inverse_growth[i]
                    weight = size[i] * discount[i]
                    present[i] = present[i] + share[i] * weight
                    present_without[i] = present_without[i] + share_without[i] * weight
                    annuity[i] = annuity[i] + discount[i]
                    discount[i] = discount[i] * one_year[i]
        margin, initial_cost, annual_cost = w[MARGIN], w[INITIAL_COST], w[ANNUAL_COST]
        npv_with, npv_without, npv_cost, gain = w[W_WORK], w[W_WORK + 1], w[W_WORK + 2], w[W_WORK + 3]
        for i in range(m):
            npv_with[i] = margin[i] * present[i]
            npv_without[i] = margin[i] * present_without[i]
            npv_cost[i] = initial_cost[i] + annual_cost[i] * annuity[i]
            gain[i] = npv_with[i] - npv_without[i]
        for k in range(output_codes.shape[0]):
            code = output_codes[k]
            target = out[k, begin:begin + m]
            if code == NPV_NET:
                for i in range(m):
                    target[i] = gain[i] - npv_cost[i]
            elif code == ROQ:
                for i in range(m):
                    target[i] = gain[i] / npv_cost[i]
            elif code == ROQ_NET:
                for i in range(m):
                    target[i] = gain[i] / npv_cost[i] - 1.0
            else:
                source = (npv_with if code == NPV_WITH else npv_without if code == NPV_WITHOUT else npv_cost if code == NPV_COST
                          else gain if code == NPV_GAIN else share if code == FINAL_SHARE else share_without if code == FINAL_SHARE_WITHOUT
                          else retention if code == RETENTION else baseline)
                for i in range(m):
                    target[i] = source[i]



_SLOT_CHUNK = 256
_LANES = 8  # partial sums kept in 8 lanes, so the additions do not wait on each other


@intrinsic
def _float_bits(typingctx, value):
    """The IEEE 754 bits of a double as uint64 (a register move)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.uint64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, value):
    """The double with these IEEE 754 bits."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.uint64), codegen


@njit(**_OPTIONS)
def _slot_of(x, inverse_log_gamma, shift):
    """Signed sketch bucket of x by statistics._Buckets.slots' rule:
    ceil(log|x| / log gamma) - (key_min - 1), at least 0, with the sign of x (0 for x = 0)."""
    magnitude = abs(x)
    if magnitude == 0.0:  # log(0) = -inf: the zero bucket
        return 0
    slot = np.ceil(np.log(magnitude) * inverse_log_gamma) - shift
    if slot < 0.0:
        slot = 0.0
    return int(slot) if x >= 0.0 else -int(slot)


@njit(**_OPTIONS)
def _fast_slots(chunk, inverse_log_gamma, shift, margin, slots):
    """slots[i]: the bucket of chunk[i] by :func:`_slot_of`'s rule, or NaN where this fast
    logarithm cannot decide it. Vectorised, without a libm call.

    log|x| = e ln 2 + log m with m in [sqrt(1/2), sqrt(2)) from the bits of x, and
    log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, summed to s^7/7: the error is
    below 3e-8, so below ``margin`` (1e-7 / log gamma) in bucket units. Where the key lies
    within ``margin`` of an integer, the exact rule could round either way: NaN (as for
    zero, subnormal, inf and NaN), and the caller applies the exact rule. The buckets are
    therefore those of the libm logarithm, value for value.
    """
    for i in range(chunk.size):
        x = chunk[i]
        bits = _float_bits(x) & np.uint64(0x7FFFFFFFFFFFFFFF)
        m = _bits_float((bits & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FF0000000000000))
        big = m > 1.4142135623730951
        m = m * 0.5 if big else m
        # the exponent as a double without an int64 conversion (AVX2 has none): 2^52 + E, minus 2^52
        e = _bits_float(np.uint64(0x4330000000000000) | (bits >> np.uint64(52))) - (4503599627370496.0 + 1023.0)
        e = e + 1.0 if big else e
        s = (m - 1.0) / (m + 1.0)
        s2 = s * s
        key = (e * 0.6931471805599453 + 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0))))) * inverse_log_gamma
        upper = np.ceil(key + margin)
        slot = upper - shift
        slot = slot if slot > 0.0 else 0.0
        slot = slot if x >= 0.0 else -slot
        decided = upper == np.ceil(key - margin) and bits >= np.uint64(0x0010000000000000) and bits < np.uint64(0x7FF0000000000000)
        slots[i] = slot if decided else math.nan


@njit(**_OPTIONS)
def _moments(row):
    """(sum, count, min, max) of the finite values of row, in _LANES interleaved lanes."""
    n = row.size
    totals = np.zeros(_LANES)
    finites = np.zeros(_LANES, np.int64)
    smallests = np.full(_LANES, math.inf)
    largests = np.full(_LANES, -math.inf)
    whole = n - n % _LANES
    for begin in range(0, whole, _LANES):
        for lane in range(_LANES):
            x = row[begin + lane]
            ok = math.isfinite(x)
            totals[lane] += x if ok else 0.0
            finites[lane] += ok
            smallests[lane] = x if (ok and x < smallests[lane]) else smallests[lane]
            largests[lane] = x if (ok and x > largests[lane]) else largests[lane]
    for i in range(whole, n):
        x = row[i]
        if math.isfinite(x):
            totals[0] += x
            finites[0] += 1
            smallests[0] = min(smallests[0], x)
            largests[0] = max(largests[0], x)
    total = 0.0
    for lane in range(_LANES):
        total += totals[lane]
    return total, finites.sum(), smallests.min(), largests.max()


@njit(**_OPTIONS)
def _spread(row, centre):
    """Sum of (x - centre)^2 over the finite values of row, in _LANES lanes."""
    n = row.size
    spreads = np.zeros(_LANES)
    whole = n - n % _LANES
    for begin in range(0, whole, _LANES):
        for lane in range(_LANES):
            x = row[begin + lane]
            deviation = x - centre
            spreads[lane] += deviation * deviation if math.isfinite(x) else 0.0
    for i in range(whole, n):
        x = row[i]
        if math.isfinite(x):
            spreads[0] += (x - centre) * (x - centre)
    spread = 0.0
    for lane in range(_LANES):
        spread += spreads[lane]
    return spread


@njit(**_OPTIONS)
def block_statistics(out, thresholds, threshold_counts, inverse_log_gamma, key_min):
    """The mergeable partial summary of each row of ``out`` (K, n), as summarise_block makes it.

    Returns per output: count (finite values), nonfinite, mean, m2, min, max, exceed
    counts (K, max thresholds; x > t over finite x), bucket offset, and the concatenated
    dense bucket arrays (counts, sums, squares) with their starts (K + 1). The buckets are
    those of summarise_block value for value (:func:`_fast_slots`); sums and M2 are summed
    in lanes, so they agree with numpy's pairwise sums to rounding.
    """
    k_outputs, n = out.shape
    count = np.zeros(k_outputs, np.int64)
    nonfinite = np.zeros(k_outputs, np.int64)
    mean = np.zeros(k_outputs)
    m2 = np.zeros(k_outputs)
    low = np.full(k_outputs, math.inf)
    high = np.full(k_outputs, -math.inf)
    exceed = np.zeros(thresholds.shape, np.int64)
    offset = np.zeros(k_outputs, np.int64)
    starts = np.zeros(k_outputs + 1, np.int64)
    shift = float(key_min - 1)
    margin = 1e-7 * inverse_log_gamma + 1e-9
    for k in range(k_outputs):
        row = out[k]
        total, finite, smallest, largest = _moments(row)
        for t in range(threshold_counts[k]):  # one pass per threshold: a register count, vectorised
            limit = thresholds[k, t]
            above = 0
            for i in range(n):
                x = row[i]
                above += (x > limit) & (x != math.inf)  # finite values only, as numpy counts them (NaN compares False)
            exceed[k, t] = above
        count[k] = finite
        nonfinite[k] = n - finite
        low[k], high[k] = smallest, largest
        if finite:
            mean[k] = total / finite
            first = _slot_of(smallest, inverse_log_gamma, shift)
            last = _slot_of(largest, inverse_log_gamma, shift)
            offset[k] = first
            starts[k + 1] = starts[k] + last - first + 1
        else:
            starts[k + 1] = starts[k]
    counts = np.zeros(starts[k_outputs], np.int64)
    sums = np.zeros(starts[k_outputs])
    squares = np.zeros(starts[k_outputs])
    slots = np.empty(_SLOT_CHUNK)
    for k in range(k_outputs):
        if count[k] == 0:
            continue
        row = out[k]
        m2[k] = _spread(row, mean[k])
        base = starts[k] - offset[k]
        for begin in range(0, n, _SLOT_CHUNK):
            chunk = row[begin:min(n, begin + _SLOT_CHUNK)]
            _fast_slots(chunk, inverse_log_gamma, shift, margin, slots)
            for i in range(chunk.size):
                x = chunk[i]
                slot = slots[i]
                if slot == slot:
                    index = base + int(slot)
                elif math.isfinite(x):  # near a bucket edge, zero or subnormal: the exact rule
                    index = base + _slot_of(x, inverse_log_gamma, shift)
                else:  # inf and NaN are counted as nonfinite only
                    continue
                counts[index] += 1
                sums[index] += x
                squares[index] += x * x
    return count, nonfinite, mean, m2, low, high, exceed, offset, starts, counts, sums, squares
