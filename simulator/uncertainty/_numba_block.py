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
#: The probability grid that decides a beta's body from its tails
#: (distributions._ScaledBeta._NODES; tested equal).
BETA_GRID = 2**16
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
def _inverse_cdf_columns(columns, n, codes, parameters, tables, table_of, tail_index, tail_tables, values):
    """Inverse CDFs of the uniforms ``columns[:, :n]`` (D, n; one row per input, contiguous,
    so the loops vectorise) into ``values[:, :n]``."""
    for j in range(columns.shape[0]):  # input by input: each loop has one branch-free body
        code = codes[j]
        if code == VALUE:
            continue
        p = parameters[j]
        column = columns[j, :n]
        row = values[j, :n]
        if code == UNIFORM:
            low, width = p[0], p[1] - p[0]
            for i in range(n):
                row[i] = low + column[i] * width
        elif code == TRIANGULAR:
            a, c, b, split = p[0], p[1], p[2], p[3]
            width = b - a
            for i in range(n):
                x = column[i]
                if x < split:
                    row[i] = a + math.sqrt(x * width * (c - a))
                else:
                    row[i] = b - math.sqrt((1.0 - x) * width * (b - c))
        else:  # BETA_TABLE: distributions._ScaledBeta.standard_ppf, operation for operation
            cubics = tables[table_of[j]]  # the body: (c0, c1, c2, c3) of each cell, cell after cell
            cells = cubics.shape[0] // 4
            lower_table, upper_table = tail_tables[table_of[j], 0], tail_tables[table_of[j], 1]
            tail_last = lower_table.shape[0] - 2  # _TAIL_NODES - 1
            tail_scale = float(lower_table.shape[0] - 1)
            low_tail, high_tail = tail_index[j, 0], tail_index[j, 1]
            lower_mass, upper_mass = low_tail / BETA_GRID, (BETA_GRID - high_tail) / BETA_GRID
            low, width, inverse_alpha, inverse_beta = p[0], p[1] - p[0], p[2], p[3]
            for i in range(n):
                x = column[i]
                index = int(x * BETA_GRID)  # the grid that decides body or tail
                if index < 0:
                    index = 0
                elif index > BETA_GRID - 1:
                    index = BETA_GRID - 1
                if index >= low_tail and index < high_tail:
                    t = x * cells
                    cell = min(int(t), cells - 1)
                    t -= cell
                    c = 4 * cell
                    row[i] = low + (((cubics[c + 3] * t + cubics[c + 2]) * t + cubics[c + 1]) * t + cubics[c]) * width
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
    ``tables[table_of[j]]``, a cubic per cell, the outer 0.1% of probability from the
    tail tables ``tail_tables[table_of[j]]``, as distributions._ScaledBeta.standard_ppf).
    """
    columns = u.T.copy()
    _inverse_cdf_columns(columns, columns.shape[1], codes, parameters, tables, table_of, tail_index, tail_tables, values)


#: numpy's PCG64 multiplier (pcg64.h, PCG_DEFAULT_MULTIPLIER_128).
PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645


@intrinsic
def _pcg64_step(typingctx, high, low, increment_high, increment_low):
    """One step of numpy's PCG64 (128-bit LCG, XSL-RR output), in LLVM's 128-bit integers:
    ``(state_high, state_low, next64)``. numpy calls its step through a function pointer
    per value; inlined, a double costs about 2.3 ns instead of 4.2 here. (Four interleaved
    lanes with a jump-ahead multiplier drew 1.8 ns a double alone, no faster in the fused
    block: not kept.)"""
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


# numpy.random.SeedSequence's constants (M. E. O'Neill's seed_seq alternative, 2015)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = np.uint64(0x43B0D7E5), np.uint64(0x931E8875), np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
_MIX_MULT_L, _MIX_MULT_R, _MASK32 = np.uint64(0xCA01F9DD), np.uint64(0x4973F715), np.uint64(0xFFFFFFFF)


@njit(**_OPTIONS)
def seed_sequence_words(assembled):
    """``SeedSequence(...).generate_state(8, uint32)`` for the assembled entropy words
    (uint32 values held in uint64: the run entropy, padded with zeros to 4 words when a
    spawn key follows, then the spawn key's words), by SeedSequence's published mixing
    (hashmix and mix on a 4-word pool). About 0.1 us instead of SeedSequence's 29 us."""
    pool = np.zeros(4, np.uint64)
    hash_const = _INIT_A
    for step in range(4 + 12 + 4 * max(0, assembled.size - 4)):
        # the hashmix sequence: the 4 pool words, 12 pool-to-pool mixes, 4 per extra entropy word
        if step < 4:
            source = assembled[step] if step < assembled.size else np.uint64(0)
        elif step < 16:
            source = pool[(step - 4) // 3]
        else:
            source = assembled[4 + (step - 16) // 4]
        value = (source ^ hash_const) & _MASK32
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = (value * hash_const) & _MASK32
        value ^= value >> np.uint64(16)
        if step < 4:
            pool[step] = value
        else:
            if step < 16:
                source_index = (step - 4) // 3
                others = (step - 4) % 3
                target = others if others < source_index else others + 1
            else:
                target = (step - 16) % 4
            mixed = (_MIX_MULT_L * pool[target] - _MIX_MULT_R * value) & _MASK32
            pool[target] = mixed ^ (mixed >> np.uint64(16))
    words = np.zeros(8, np.uint64)
    hash_const = _INIT_B
    for i in range(8):
        value = (pool[i % 4] ^ hash_const) & _MASK32
        hash_const = (hash_const * _MULT_B) & _MASK32
        value = (value * hash_const) & _MASK32
        words[i] = value ^ (value >> np.uint64(16))
    return words


@intrinsic
def _pcg64_seeding(typingctx, state_high, state_low, sequence_high, sequence_low):
    """numpy's PCG64 seeding (pcg64_set_seed; O'Neill's pcg_setseq_128_srandom_r) in LLVM's
    128-bit integers: increment = 2 initseq + 1, state = ((increment + initstate) a + increment)
    mod 2^128. Returns (state high, low, increment high, low)."""
    signature = types.UniTuple(types.uint64, 4)(types.uint64, types.uint64, types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)

        def wide(high_word, low_word):
            return builder.or_(builder.shl(builder.zext(high_word, i128), ir.Constant(i128, 64)), builder.zext(low_word, i128))

        def halves(value):
            return builder.trunc(builder.lshr(value, ir.Constant(i128, 64)), i64), builder.trunc(value, i64)

        increment = builder.or_(builder.shl(wide(args[2], args[3]), ir.Constant(i128, 1)), ir.Constant(i128, 1))
        state = builder.add(builder.mul(builder.add(increment, wide(args[0], args[1])), ir.Constant(i128, PCG64_MULTIPLIER)), increment)
        return context.make_tuple(builder, sig.return_type, [*halves(state), *halves(increment)])

    return signature, codegen


@njit(**_OPTIONS)
def block_state(entropy, block_index, stream):
    """The PCG64 words (state high, low, increment high, low) of block ``block_index``'s
    stream: ``block_kernel.block_stream_words`` compiled, given the run seed's uint32 words
    ``entropy`` (lowest first, zero-padded to at least 4). The spawn key's words follow
    (the block index, then the stream: one uint32 word each below 2^32, else two), as
    numpy's SeedSequence assembles them; then its mixing and PCG64's seeding."""
    block_words = 1 if block_index < 2**32 else 2
    stream_words = 1 if stream < 2**32 else 2
    assembled = np.empty(entropy.size + block_words + stream_words, np.uint64)
    assembled[:entropy.size] = entropy
    assembled[entropy.size] = np.uint64(block_index) & _MASK32
    if block_words == 2:
        assembled[entropy.size + 1] = np.uint64(block_index) >> np.uint64(32)
    assembled[entropy.size + block_words] = np.uint64(stream) & _MASK32
    if stream_words == 2:
        assembled[entropy.size + block_words + 1] = np.uint64(stream) >> np.uint64(32)
    halves = seed_sequence_words(assembled)
    words = np.empty(4, np.uint64)
    for k in range(4):  # little-endian uint32 pairs
        words[k] = halves[2 * k] | (halves[2 * k + 1] << np.uint64(32))
    state = np.empty(4, np.uint64)
    state[0], state[1], state[2], state[3] = _pcg64_seeding(words[0], words[1], words[2], words[3])
    return state


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


#: Scenarios per tile of the model. Its working rows lie in one flat array at fixed
#: offsets (row r at r * TILE), so the compiler sees that no row overlaps another and
#: vectorises each per-scenario loop without run-time overlap checks (it gives up on those
#: beyond 8 arrays, as a loop over separate row arrays needs); TILE_ROWS (42) rows of 128
#: doubles are 43 kB, of which a loop touches at most 20 rows.
TILE = 128

#: Bits of the horizon the closed form's powers handle (horizons up to 2**POWER_BITS - 1,
#: block_kernel.KERNEL_MAX_HORIZON; simulator.roq.MAX_HORIZON is 100). A fixed count lets
#: the compiler unroll the squarings and keep a scenario's closed form in registers.
POWER_BITS = 7


@njit(inline="always", **_OPTIONS)
def _unrolled_power(base, exponent):
    """base**exponent (exponent < 2**POWER_BITS) in the products of _integer_power: 1.0 x the
    first square is that square exactly, and the squarings past the top bit are unused."""
    result = 1.0
    square = base
    for bit in range(POWER_BITS):
        if (exponent >> bit) & 1:
            result = result * square
        square = square * square
    return result


@njit(**_OPTIONS)
def _power_sum_one(y, horizon):
    """S(y) = y + ... + y^T for one value (simulator.roq.model._power_sum)."""
    step = y - 1.0
    if abs(step) < 1e-2:  # near y = 1 the quotient cancels
        return float(horizon) if step == 0.0 else y * math.expm1(horizon * math.log1p(step)) / step
    return y * (_integer_power(y, horizon) - 1.0) / step


@njit(**_OPTIONS)
def _arm_one(x, q, start, inflow_ratio, n0, sum_x, horizon):
    """One arm's closed form for one scenario (simulator.roq.model._closed_form_sums) with
    the near-1 care, given S(x): (present value sum_t M_t N_t (1 + i)^-t, final share M_T)."""
    sum_qx = _power_sum_one(q * x, horizon)
    step = q - 1.0
    if abs(step) < NEAR_ONE:  # the divided differences cancel: sum the terms
        total = 0.0
        for t in range(1, horizon + 1):
            ratio = float(t) if step == 0.0 else math.expm1(t * math.log1p(step)) / step
            total += x ** float(t) * ratio
        geometric = float(horizon) if step == 0.0 else math.expm1(horizon * math.log1p(step)) / step
        return n0 * (start * sum_qx + inflow_ratio * total), _integer_power(q, horizon) * start + inflow_ratio * geometric
    return _arm_from_sums(q, start, inflow_ratio, n0, sum_x, sum_qx, _integer_power(q, horizon))


@njit(inline="always", **_OPTIONS)
def _arm_from_sums(q, start, inflow_ratio, n0, sum_x, sum_qx, power):
    """An arm's present value n0 (M_0 S(qx) + b (S(x) - S(qx)) / (1 - q)) and final share
    q^T M_0 + b (1 - q^T) / (1 - q), given S(x), S(qx) and q^T."""
    return n0 * (start * sum_qx + inflow_ratio * ((sum_x - sum_qx) / (1.0 - q))), power * start + inflow_ratio * ((1.0 - power) / (1.0 - q))


# working rows of a tile, after the N_SLOTS input rows
(W_SWITCHING, W_RETENTION, W_BASELINE_RETENTION, W_ONE_YEAR, W_GROWTH, W_INFLOW, W_INVERSE_GROWTH,
 W_PRESENT, W_PRESENT_WITHOUT, W_SHARE, W_SHARE_WITHOUT, W_ANNUITY, W_NPV_WITH, W_NPV_WITHOUT, W_NPV_COST, W_GAIN, W_NEAR,
 W_DISCOUNT, W_SIZE, W_SLOPE, W_SLOPE_WITHOUT) = range(N_SLOTS, N_SLOTS + 21)
TILE_ROWS = N_SLOTS + 21
#: The rows holding each output code's values (NPV_NET, ROQ and ROQ_NET are computed).
_OUTPUT_ROWS = np.array([W_NPV_WITH, W_NPV_WITHOUT, W_NPV_COST, W_GAIN, -1, -1, -1, W_SHARE, W_SHARE_WITHOUT, W_RETENTION, W_BASELINE_RETENTION])


@njit(**_OPTIONS)
def _model_workspace(sources, constants):
    """A tile's working rows (flat, row r at r * TILE), the constant inputs' rows filled (no
    step of _model_tile writes them)."""
    w = np.empty(TILE_ROWS * TILE)
    for s in range(N_SLOTS):
        if sources[s] < 0:
            w[s * TILE:(s + 1) * TILE] = constants[s]
    return w


@njit(inline="always", **_OPTIONS)
def _mixed_retention(satisfied, delighted, repurchase_1, repurchase_2, repurchase_3, convention):
    """(1 - s) r1 + s r2 + d (r3 - r2), s = satisfied + delighted (or satisfied only)."""
    mix = satisfied + delighted if convention == 0 else satisfied
    return (1.0 - mix) * repurchase_1 + mix * repurchase_2 + delighted * (repurchase_3 - repurchase_2)


@njit(**_OPTIONS)
def _tile_prelude(w, m, modes):
    """Per scenario: switching, both arms' retention, the one-year discount factor, growth
    factor, inflow and 1 / growth (simulator.roq.model._run_model's first steps)."""
    competitor_mode, with_mode, without_mode, convention = modes[0], modes[1], modes[2], modes[3]
    for i in range(m):  # the mode tests are the same for every scenario: hoisted or made selects
        churn = w[CHURN * TILE + i]
        switching = w[COMPETITOR_SWITCHING * TILE + i] if competitor_mode == 1 else 1.0 - w[COMPETITOR_RETENTION * TILE + i] - churn
        repurchase_1, repurchase_2, repurchase_3 = w[REPURCHASE_1 * TILE + i], w[REPURCHASE_2 * TILE + i], w[REPURCHASE_3 * TILE + i]
        if with_mode == 1:
            retention = _mixed_retention(w[SATISFIED * TILE + i], w[DELIGHTED * TILE + i], repurchase_1, repurchase_2, repurchase_3, convention)
        else:
            retention = w[RETENTION_IN * TILE + i]
        if without_mode == 1:
            baseline = _mixed_retention(w[BASELINE_SATISFIED * TILE + i], w[BASELINE_DELIGHTED * TILE + i], repurchase_1, repurchase_2,
                                        repurchase_3, convention)
        elif without_mode == 0:
            baseline = w[BASELINE_RETENTION_IN * TILE + i]
        else:
            baseline = math.nan
        growth = 1.0 + w[MARKET_GROWTH * TILE + i]
        w[W_SWITCHING * TILE + i] = switching
        w[W_RETENTION * TILE + i] = retention
        w[W_BASELINE_RETENTION * TILE + i] = baseline
        w[W_ONE_YEAR * TILE + i] = 1.0 / (1.0 + w[DISCOUNT_RATE * TILE + i])
        w[W_GROWTH * TILE + i] = growth
        w[W_INFLOW * TILE + i] = switching + w[ATTRACTION * TILE + i] * (growth - 1.0 + churn)
        w[W_INVERSE_GROWTH * TILE + i] = 1.0 / growth


@njit(inline="always", **_OPTIONS)
def _closed_form_arm(x, q, start, inflow_ratio, n0, sum_x, horizon):
    """One arm's closed form (simulator.roq.model._closed_form_sums) without the near-1
    care: (present value, final share, 1 if a ratio is near a cancellation)."""
    qx = q * x
    sum_qx = qx * (_unrolled_power(qx, horizon) - 1.0) / (qx - 1.0)
    present, final = _arm_from_sums(q, start, inflow_ratio, n0, sum_x, sum_qx, _unrolled_power(q, horizon))
    return present, final, (abs(qx - 1.0) < 1e-2) + (abs(q - 1.0) < NEAR_ONE)


@njit(inline="always", **_OPTIONS)
def _closed_form_inputs(w, i):
    """Scenario i's switching s, 1 / (1 + i), 1 / G, M_0, N_0, x = G / (1 + i) and b = inflow / G."""
    switching, one_year, inverse_growth = w[W_SWITCHING * TILE + i], w[W_ONE_YEAR * TILE + i], w[W_INVERSE_GROWTH * TILE + i]
    x = w[W_GROWTH * TILE + i] * one_year
    return switching, one_year, inverse_growth, w[INITIAL_SHARE * TILE + i], w[MARKET_SIZE * TILE + i], x, w[W_INFLOW * TILE + i] * inverse_growth


@njit(**_OPTIONS)
def _tile_closed_form(w, m, horizon, constant_without):
    """Both arms' present values and final shares and the annuity by the closed form
    (simulator.roq.model._closed_form_sums), a scenario at a time in registers; the rare
    scenarios near a cancellation (a ratio within 1e-2, or q within NEAR_ONE, of 1) are
    then redone one by one (:func:`_arm_one`). The same products in the same order as numpy."""
    near = 0
    for i in range(m):  # the arm test is the same for every scenario: the compiler hoists it
        switching, one_year, inverse_growth, start, n0, x, inflow_ratio = _closed_form_inputs(w, i)
        sum_x = x * (_unrolled_power(x, horizon) - 1.0) / (x - 1.0)
        present, final, close = _closed_form_arm(x, (w[W_RETENTION * TILE + i] - switching) * inverse_growth, start, inflow_ratio, n0, sum_x, horizon)
        w[W_PRESENT * TILE + i], w[W_SHARE * TILE + i] = present, final
        if constant_without:
            given = w[BASELINE_SHARE * TILE + i]
            w[W_PRESENT_WITHOUT * TILE + i], w[W_SHARE_WITHOUT * TILE + i] = n0 * given * sum_x, given
        else:
            present, final, close_without = _closed_form_arm(x, (w[W_BASELINE_RETENTION * TILE + i] - switching) * inverse_growth, start,
                                                             inflow_ratio, n0, sum_x, horizon)
            w[W_PRESENT_WITHOUT * TILE + i], w[W_SHARE_WITHOUT * TILE + i] = present, final
            close += close_without
        w[W_ANNUITY * TILE + i] = one_year * (_unrolled_power(one_year, horizon) - 1.0) / (one_year - 1.0)
        close += (abs(x - 1.0) < 1e-2) + (abs(one_year - 1.0) < 1e-2)
        w[W_NEAR * TILE + i] = close
        near += close
    for i in range(m if near else 0):
        if w[W_NEAR * TILE + i] == 0.0:
            continue
        switching, one_year, inverse_growth, start, n0, x, inflow_ratio = _closed_form_inputs(w, i)
        sum_x = _power_sum_one(x, horizon)
        w[W_PRESENT * TILE + i], w[W_SHARE * TILE + i] = _arm_one(x, (w[W_RETENTION * TILE + i] - switching) * inverse_growth, start, inflow_ratio,
                                                                  n0, sum_x, horizon)
        if constant_without:
            w[W_PRESENT_WITHOUT * TILE + i] = n0 * w[BASELINE_SHARE * TILE + i] * sum_x
        else:
            w[W_PRESENT_WITHOUT * TILE + i], w[W_SHARE_WITHOUT * TILE + i] = _arm_one(
                x, (w[W_BASELINE_RETENTION * TILE + i] - switching) * inverse_growth, start, inflow_ratio, n0, sum_x, horizon)
        w[W_ANNUITY * TILE + i] = _power_sum_one(one_year, horizon)


@njit(**_OPTIONS)
def _tile_recursion(w, m, horizon, constant_without):
    """Both arms' present values and final shares and the annuity by the year recursion
    M_t = ((R - s) M_{t-1} + inflow) / G (simulator.roq.model._run_model), for horizons
    below CLOSED_FORM_MIN_HORIZON: a pass over the tile per year."""
    for i in range(m):
        switching = w[W_SWITCHING * TILE + i]
        w[W_SLOPE * TILE + i] = w[W_RETENTION * TILE + i] - switching
        w[W_SLOPE_WITHOUT * TILE + i] = w[W_BASELINE_RETENTION * TILE + i] - switching
        w[W_DISCOUNT * TILE + i] = w[W_ONE_YEAR * TILE + i]
        w[W_ANNUITY * TILE + i] = 0.0
        w[W_PRESENT * TILE + i] = 0.0
        w[W_PRESENT_WITHOUT * TILE + i] = 0.0
        w[W_SIZE * TILE + i] = w[MARKET_SIZE * TILE + i]
        w[W_SHARE * TILE + i] = w[INITIAL_SHARE * TILE + i]
        w[W_SHARE_WITHOUT * TILE + i] = w[BASELINE_SHARE * TILE + i] if constant_without else w[INITIAL_SHARE * TILE + i]
    for _ in range(horizon):
        for i in range(m):  # the branch is the same for every scenario: the compiler hoists it
            size = w[W_SIZE * TILE + i] * w[W_GROWTH * TILE + i]
            inverse_growth, inflow, discount = w[W_INVERSE_GROWTH * TILE + i], w[W_INFLOW * TILE + i], w[W_DISCOUNT * TILE + i]
            share = (w[W_SLOPE * TILE + i] * w[W_SHARE * TILE + i] + inflow) * inverse_growth
            share_without = w[W_SHARE_WITHOUT * TILE + i]
            if not constant_without:
                share_without = (w[W_SLOPE_WITHOUT * TILE + i] * share_without + inflow) * inverse_growth
            weight = size * discount
            w[W_SIZE * TILE + i] = size
            w[W_SHARE * TILE + i] = share
            w[W_SHARE_WITHOUT * TILE + i] = share_without
            w[W_PRESENT * TILE + i] = w[W_PRESENT * TILE + i] + share * weight
            w[W_PRESENT_WITHOUT * TILE + i] = w[W_PRESENT_WITHOUT * TILE + i] + share_without * weight
            w[W_ANNUITY * TILE + i] = w[W_ANNUITY * TILE + i] + discount
            w[W_DISCOUNT * TILE + i] = discount * w[W_ONE_YEAR * TILE + i]


@njit(**_OPTIONS)
def _model_tile(w, values, begin, m, sources, modes, horizon, output_codes, out):
    """The model on scenarios begin..begin+m (m <= TILE) of ``values`` into ``out[:, begin:begin+m]``."""
    for s in range(N_SLOTS):  # the tile's sampled inputs, one row per slot
        row = sources[s]
        if row >= 0:
            for i in range(m):
                w[s * TILE + i] = values[row, begin + i]
    _tile_prelude(w, m, modes)
    constant_without = modes[2] == 2
    if horizon >= CLOSED_FORM_MIN_HORIZON:
        _tile_closed_form(w, m, horizon, constant_without)
    else:
        _tile_recursion(w, m, horizon, constant_without)
    for i in range(m):
        margin = w[MARGIN * TILE + i]
        npv_with = margin * w[W_PRESENT * TILE + i]
        npv_without = margin * w[W_PRESENT_WITHOUT * TILE + i]
        w[W_NPV_WITH * TILE + i] = npv_with
        w[W_NPV_WITHOUT * TILE + i] = npv_without
        w[W_NPV_COST * TILE + i] = w[INITIAL_COST * TILE + i] + w[ANNUAL_COST * TILE + i] * w[W_ANNUITY * TILE + i]
        w[W_GAIN * TILE + i] = npv_with - npv_without
    for k in range(output_codes.shape[0]):
        code = output_codes[k]
        target = out[k, begin:begin + m]
        gain, cost = w[W_GAIN * TILE:W_GAIN * TILE + m], w[W_NPV_COST * TILE:W_NPV_COST * TILE + m]
        if code == NPV_NET:
            for i in range(m):
                target[i] = gain[i] - cost[i]
        elif code == ROQ:
            for i in range(m):
                target[i] = gain[i] / cost[i]
        elif code == ROQ_NET:
            for i in range(m):
                target[i] = gain[i] / cost[i] - 1.0
        else:
            source = w[_OUTPUT_ROWS[code] * TILE:_OUTPUT_ROWS[code] * TILE + m]
            for i in range(m):
                target[i] = source[i]


@njit(**_OPTIONS)
def model_outputs(values, sources, constants, modes, horizon, output_codes, out):
    """The ROQ model per scenario into ``out`` (K, n), one row per requested output code.

    ``sources[s]`` is the row of ``values`` holding input slot s, or -1 for the constant
    ``constants[s]``. ``modes``: [competitor (0 R', 1 switching s), with-arm (0 retention,
    1 satisfaction mix), without-arm (0 retention, 1 mix, 2 constant share), convention
    (0 satisfied_or_delighted, 1 satisfied_only)]. Below 8 years the year recursion, from
    8 the closed-form sums, exactly as simulator.roq.evaluate; worked in tiles of TILE
    scenarios, a few vectorised per-scenario loops per tile (:func:`_model_tile`).
    """
    n = out.shape[1]
    w = _model_workspace(sources, constants)
    for begin in range(0, n, TILE):
        _model_tile(w, values, begin, min(TILE, n - begin), sources, modes, horizon, output_codes, out)


_SLOT_CHUNK = 256
UNDECIDED = np.int32(-2**31)  # _fast_slots: left to the exact rule


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
    """slots[i] (int32): the bucket of chunk[i] by :func:`_slot_of`'s rule, or UNDECIDED where
    this fast logarithm cannot decide it. Vectorised, without a libm call.

    log|x| = e ln 2 + log m with m in [sqrt(1/2), sqrt(2)) from the bits of x, and
    log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, summed to s^7/7: the error is
    below 3e-8, so below ``margin`` (1e-7 / log gamma) in bucket units. Where the key lies
    within ``margin`` of an integer, the exact rule could round either way: UNDECIDED (as
    for zero, subnormal, inf and NaN), and the caller applies the exact rule. The buckets are
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
        slots[i] = np.int32(slot) if decided else UNDECIDED


@njit(**_OPTIONS)
def _moments(row):
    """(sum, count, min, max) of the finite values of row, in 4 interleaved lanes (the
    same sums whether or not the row has an inf or NaN)."""
    nonfinite = 0
    for i in range(row.size):  # a vectorised count; a row of finite values takes the lean loop
        nonfinite += not (abs(row[i]) < math.inf)
    return _lane_moments(row, True) if nonfinite else _lane_moments(row, False)


@njit(inline="always", **_OPTIONS)
def _lane_moments(row, careful):
    """:func:`_moments`'s lanes; ``careful`` (a constant where inlined) skips inf and NaN,
    else every value is taken as finite and the tests fold away."""
    n = row.size
    t0 = t1 = t2 = t3 = 0.0
    c0 = c1 = c2 = c3 = 0
    lo0 = lo1 = lo2 = lo3 = math.inf
    hi0 = hi1 = hi2 = hi3 = -math.inf
    whole = n - n % 4
    for i in range(0, whole, 4):
        x0, x1, x2, x3 = row[i], row[i + 1], row[i + 2], row[i + 3]
        f0 = math.isfinite(x0) if careful else True
        f1 = math.isfinite(x1) if careful else True
        f2 = math.isfinite(x2) if careful else True
        f3 = math.isfinite(x3) if careful else True
        t0 += x0 if f0 else 0.0
        t1 += x1 if f1 else 0.0
        t2 += x2 if f2 else 0.0
        t3 += x3 if f3 else 0.0
        c0 += f0
        c1 += f1
        c2 += f2
        c3 += f3
        lo0 = x0 if (f0 and x0 < lo0) else lo0
        lo1 = x1 if (f1 and x1 < lo1) else lo1
        lo2 = x2 if (f2 and x2 < lo2) else lo2
        lo3 = x3 if (f3 and x3 < lo3) else lo3
        hi0 = x0 if (f0 and x0 > hi0) else hi0
        hi1 = x1 if (f1 and x1 > hi1) else hi1
        hi2 = x2 if (f2 and x2 > hi2) else hi2
        hi3 = x3 if (f3 and x3 > hi3) else hi3
    for i in range(whole, n):
        x = row[i]
        if math.isfinite(x) or not careful:
            t0 += x
            c0 += 1
            lo0 = min(lo0, x)
            hi0 = max(hi0, x)
    return (t0 + t1) + (t2 + t3), c0 + c1 + c2 + c3, min(min(lo0, lo1), min(lo2, lo3)), max(max(hi0, hi1), max(hi2, hi3))


@njit(**_OPTIONS)
def _grow_window(k, first, last, window_low, window_size, counts, sums, squares):
    """Widen output k's bucket window to cover slots first..last (the arrays may be reallocated)."""
    if window_size[k] == 0:
        new_low, new_high = first, last
    else:
        new_low, new_high = min(first, window_low[k]), max(last, window_low[k] + window_size[k] - 1)
    size = new_high - new_low + 1
    width = counts.shape[1]
    if size > width:
        width = max(size, 2 * width)
        wider = (np.zeros((counts.shape[0], width), np.int64), np.zeros((counts.shape[0], width)), np.zeros((counts.shape[0], width)))
        wider[0][:, :counts.shape[1]] = counts
        wider[1][:, :counts.shape[1]] = sums
        wider[2][:, :counts.shape[1]] = squares
        counts, sums, squares = wider
    move = window_low[k] - new_low if window_size[k] else 0
    if move:  # the old buckets shift right; the vacated front is zeroed
        for i in range(window_size[k] - 1, -1, -1):
            counts[k, i + move] = counts[k, i]
            sums[k, i + move] = sums[k, i]
            squares[k, i + move] = squares[k, i]
        for i in range(min(move, window_size[k])):
            counts[k, i] = 0
            sums[k, i] = 0.0
            squares[k, i] = 0.0
    window_low[k] = new_low
    window_size[k] = size
    return counts, sums, squares


@njit(**_OPTIONS)
def _accumulate(tile, m, thresholds, threshold_counts, inverse_log_gamma, shift, margin, total, finite_count, low, high, centre, spread,
                exceed, window_low, window_size, counts, sums, squares, slots):
    """Fold a tile of outputs (rows of ``tile[:, :m]``) into a block's running statistics.

    Sum, count, extremes and threshold counts add up; M2 merges the tile's own (about its
    mean) by Chan, Golub and LeVeque's pairwise update (the one statistics.merge_two uses);
    the buckets (:func:`_fast_slots`) scatter into a window of slots that widens as the
    block's extremes do. Returns the (possibly reallocated) bucket arrays.
    """
    for k in range(tile.shape[0]):
        row = tile[k, :m]
        tile_total, tile_count, smallest, largest = _moments(row)
        for t in range(threshold_counts[k]):  # one pass per threshold: a register count, vectorised
            limit = thresholds[k, t]
            above = 0
            for i in range(m):
                x = row[i]
                above += (x > limit) & (x != math.inf)  # finite values only, as numpy counts them (NaN compares False)
            exceed[k, t] += above
        if tile_count == 0:
            continue
        tile_mean = tile_total / tile_count
        first = _slot_of(smallest, inverse_log_gamma, shift)
        last = _slot_of(largest, inverse_log_gamma, shift)
        if window_size[k] == 0 or first < window_low[k] or last >= window_low[k] + window_size[k]:
            counts, sums, squares = _grow_window(k, first, last, window_low, window_size, counts, sums, squares)
        counts_k, sums_k, squares_k = counts[k], sums[k], squares[k]
        base = -window_low[k]
        tile_m2 = 0.0  # about the tile's mean, summed in the scatter's loop (its latency hides there)
        for begin in range(0, m, _SLOT_CHUNK):
            chunk = row[begin:min(m, begin + _SLOT_CHUNK)]
            _fast_slots(chunk, inverse_log_gamma, shift, margin, slots)
            for i in range(chunk.size):
                x = chunk[i]
                slot = slots[i]
                if slot != UNDECIDED:
                    index = base + slot
                elif math.isfinite(x):  # near a bucket edge, zero or subnormal: the exact rule
                    index = base + _slot_of(x, inverse_log_gamma, shift)
                else:  # inf and NaN are counted as nonfinite only
                    continue
                deviation = x - tile_mean
                tile_m2 += deviation * deviation
                counts_k[index] += 1
                sums_k[index] += x
                squares_k[index] += x * x
        before = finite_count[k]
        if before == 0:
            centre[k], spread[k] = tile_mean, tile_m2
        else:
            after = before + tile_count
            delta = tile_mean - centre[k]
            centre[k] += delta * (tile_count / after)
            spread[k] += tile_m2 + delta * delta * (before * tile_count / after)
        finite_count[k] += tile_count
        total[k] += tile_total
        low[k] = min(low[k], smallest)
        high[k] = max(high[k], largest)
    return counts, sums, squares


#: Scenarios per step of the fused block: draws, inputs, outputs and the model's working
#: rows (about 100 kB for 4 inputs) stay in the L2 cache with the PERT tables.
FUSED_TILE = 512


@njit(**_OPTIONS)
def fused_blocks(first_block, lengths, entropy, u, values, codes, parameters, tables, table_of, tail_index, tail_tables, sources, constants,
                 modes, horizon, output_codes, thresholds, threshold_counts, inverse_log_gamma, key_min, keep_inputs, keep_outputs):
    """Consecutive Monte Carlo blocks ``first_block, first_block + 1, ...`` of ``lengths``
    scenarios each, tile by tile: uniforms -> inverse CDFs -> model -> statistics; each
    block's statistics, packed (:func:`_pack_into`).

    Uniforms: with ``entropy`` (the run seed's words, :func:`block_state`), each block's
    own PCG64 stream (stream 0), drawn as numpy's ``random((n, D)) + 2**-54`` (the same
    numbers); else (one block) the rows of ``u`` (n, D). Inputs with code VALUE are read
    from ``values`` (D, n; one block), filled by numpy. ``keep_inputs`` (D, n) and
    ``keep_outputs`` (K, n) receive the first block's inputs and outputs when they have n
    columns (else 0 columns). Nothing of size n is made otherwise: each tile's numbers stay
    in cache from draw to statistic. Per block and output: count (finite values), nonfinite,
    mean, M2, min, max, exceed counts (x > t over finite x), bucket offset, and the dense
    bucket arrays (counts, sums, squares): summarise_block's partial, its buckets value for
    value (:func:`_fast_slots`), its sums and M2 to rounding. One call per unit of blocks
    rather than per block: the Python between calls (seeding, dispatch, boxing, folding)
    cost 300-400 us a block, 7-10% of a run.
    """
    n_blocks, dims, k_outputs = lengths.shape[0], codes.shape[0], output_codes.shape[0]
    draw = entropy.shape[0] > 0
    tile_u = np.empty((dims, FUSED_TILE))
    tile_values = np.empty((dims, FUSED_TILE))
    tile_out = np.empty((k_outputs, FUSED_TILE))
    w = _model_workspace(sources, constants)  # its constant rows are never written: reused block after block
    packed = _empty_pack(n_blocks, k_outputs, thresholds.shape[1])
    shift = float(key_min - 1)
    margin = 1e-7 * inverse_log_gamma + 1e-9
    for b in range(n_blocks):
        n = lengths[b]
        high_word, low_word, increment_high, increment_low = np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0)
        if draw:
            state = block_state(entropy, first_block + b, 0)
            high_word, low_word, increment_high, increment_low = state[0], state[1], state[2], state[3]
        keep = b == 0 and keep_inputs.shape[1] == n
        keep_out = b == 0 and keep_outputs.shape[1] == n
        total, finite_count, low, high, centre, spread, exceed, window_low, window_size, counts, sums, squares, slots = _running_statistics(
            k_outputs, thresholds.shape)
        for begin in range(0, n, FUSED_TILE):
            m = min(FUSED_TILE, n - begin)
            if draw:
                for i in range(m):
                    for j in range(dims):
                        high_word, low_word, bits = _pcg64_step(high_word, low_word, increment_high, increment_low)
                        tile_u[j, i] = np.int64(bits >> np.uint64(11)) * (1.0 / 9007199254740992.0) + 2.0**-54
            else:
                for i in range(m):
                    for j in range(dims):
                        tile_u[j, i] = u[begin + i, j]
            for j in range(dims):
                if codes[j] == VALUE:
                    for i in range(m):
                        tile_values[j, i] = values[j, begin + i]
            _inverse_cdf_columns(tile_u, m, codes, parameters, tables, table_of, tail_index, tail_tables, tile_values)
            for start in range(0, m, TILE):
                _model_tile(w, tile_values, start, min(TILE, m - start), sources, modes, horizon, output_codes, tile_out)
            if keep:
                keep_inputs[:, begin:begin + m] = tile_values[:, :m]
            if keep_out:
                keep_outputs[:, begin:begin + m] = tile_out[:, :m]
            counts, sums, squares = _accumulate(tile_out, m, thresholds, threshold_counts, inverse_log_gamma, shift, margin, total, finite_count,
                                                low, high, centre, spread, exceed, window_low, window_size, counts, sums, squares, slots)
        packed = _pack_into(packed, b, _finish(n, total, finite_count, low, high, spread, exceed, window_low, window_size, counts, sums, squares))
    return _trim_pack(packed)


@njit(**_OPTIONS)
def _running_statistics(k_outputs, threshold_shape):
    """Empty running statistics of a block (see :func:`_accumulate`)."""
    return (np.zeros(k_outputs), np.zeros(k_outputs, np.int64), np.full(k_outputs, math.inf), np.full(k_outputs, -math.inf),
            np.zeros(k_outputs), np.zeros(k_outputs), np.zeros(threshold_shape, np.int64), np.zeros(k_outputs, np.int64),
            np.zeros(k_outputs, np.int64), np.zeros((k_outputs, 64), np.int64), np.zeros((k_outputs, 64)), np.zeros((k_outputs, 64)),
            np.empty(_SLOT_CHUNK, np.int32))


@njit(**_OPTIONS)
def _finish(n, total, finite_count, low, high, spread, exceed, window_low, window_size, counts, sums, squares):
    """A block's statistics: per output count, nonfinite, mean, M2, extremes, exceed counts, offset; bucket windows concatenated."""
    k_outputs = total.shape[0]
    mean = np.zeros(k_outputs)
    m2 = np.zeros(k_outputs)
    starts = np.zeros(k_outputs + 1, np.int64)
    for k in range(k_outputs):
        if finite_count[k]:
            mean[k] = total[k] / finite_count[k]
            m2[k] = spread[k]
        starts[k + 1] = starts[k] + (window_size[k] if finite_count[k] else 0)
    flat_counts = np.zeros(starts[k_outputs], np.int64)
    flat_sums = np.zeros(starts[k_outputs])
    flat_squares = np.zeros(starts[k_outputs])
    for k in range(k_outputs):
        size = starts[k + 1] - starts[k]
        flat_counts[starts[k]:starts[k + 1]] = counts[k, :size]
        flat_sums[starts[k]:starts[k + 1]] = sums[k, :size]
        flat_squares[starts[k]:starts[k + 1]] = squares[k, :size]
    offset = np.where(finite_count > 0, window_low, 0)
    return finite_count.copy(), n - finite_count, mean, m2, low, high, exceed, offset, starts, flat_counts, flat_sums, flat_squares


@njit(**_OPTIONS)
def _empty_pack(n_blocks, k_outputs, most_thresholds):
    """Packed statistics of n_blocks blocks (see :func:`fused_blocks`), zeroed; the bucket
    arrays of every (block, output) concatenated, with their starts (grown as filled)."""
    return (np.zeros((n_blocks, k_outputs), np.int64), np.zeros((n_blocks, k_outputs), np.int64), np.zeros((n_blocks, k_outputs)),
            np.zeros((n_blocks, k_outputs)), np.zeros((n_blocks, k_outputs)), np.zeros((n_blocks, k_outputs)),
            np.zeros((n_blocks, k_outputs, most_thresholds), np.int64), np.zeros((n_blocks, k_outputs), np.int64),
            np.zeros(n_blocks * k_outputs + 1, np.int64), np.zeros(64 * n_blocks * k_outputs, np.int64),
            np.zeros(64 * n_blocks * k_outputs), np.zeros(64 * n_blocks * k_outputs))


@njit(**_OPTIONS)
def _pack_into(packed, b, statistics):
    """Block b's statistics (:func:`_finish`'s tuple) into the packed arrays (buckets grown by doubling)."""
    finite, nonfinite, mean, m2, low, high, exceed, offset, starts, flat_counts, flat_sums, flat_squares = packed
    count, block_nonfinite, block_mean, block_m2, block_low, block_high, block_exceed, block_offset, block_starts, counts, sums, squares = statistics
    k_outputs = count.shape[0]
    finite[b], nonfinite[b], mean[b], m2[b] = count, block_nonfinite, block_mean, block_m2
    low[b], high[b], exceed[b], offset[b] = block_low, block_high, block_exceed, block_offset
    begin = starts[b * k_outputs]
    size = block_starts[k_outputs]
    if begin + size > flat_counts.shape[0]:
        capacity = max(2 * flat_counts.shape[0], begin + size)
        wider_counts, wider_sums, wider_squares = np.zeros(capacity, np.int64), np.zeros(capacity), np.zeros(capacity)
        wider_counts[:begin], wider_sums[:begin], wider_squares[:begin] = flat_counts[:begin], flat_sums[:begin], flat_squares[:begin]
        flat_counts, flat_sums, flat_squares = wider_counts, wider_sums, wider_squares
    flat_counts[begin:begin + size] = counts
    flat_sums[begin:begin + size] = sums
    flat_squares[begin:begin + size] = squares
    for k in range(k_outputs):
        starts[b * k_outputs + k + 1] = begin + block_starts[k + 1]
    return finite, nonfinite, mean, m2, low, high, exceed, offset, starts, flat_counts, flat_sums, flat_squares


@njit(**_OPTIONS)
def _trim_pack(packed):
    finite, nonfinite, mean, m2, low, high, exceed, offset, starts, flat_counts, flat_sums, flat_squares = packed
    used = starts[starts.shape[0] - 1]
    return finite, nonfinite, mean, m2, low, high, exceed, offset, starts, flat_counts[:used].copy(), flat_sums[:used].copy(), flat_squares[:used].copy()


@njit(**_OPTIONS)
def fold_blocks(state, packed, begin, end):
    """Fold blocks begin..end-1 of a pack into the running merge ``state``, in order, with
    :func:`statistics.merge_two`'s arithmetic (Chan-Golub-LeVeque mean and M2, extremes,
    counts, bucket sums; an output with no finite value yet takes the next block's
    whole). Returns the state (its bucket arrays may be reallocated, doubling).

    State, per output: count, nonfinite, exceed (K, T), mean, M2, min, max, window low and
    high slot, the slot of column 0 (origin), and the buckets (K, capacity). The ratio
    n_a n_b / n of the M2 update is the correctly rounded quotient of exact integers, as in
    Python, while n_a n_b < 2^53 (runs below 1.4e11 scenarios); above, n_a (n_b / n)."""
    count, nonfinite, exceed, mean, m2, low, high, window_low, window_high, origin, counts, sums, squares = state
    finite, block_nonfinite, block_mean, block_m2, block_low, block_high, block_exceed, offset, starts, flat_counts, flat_sums, flat_squares = packed
    k_outputs = count.shape[0]
    for b in range(begin, end):
        for k in range(k_outputs):
            c = finite[b, k]
            before = count[k]
            n = before + c
            count[k] = n
            nonfinite[k] += block_nonfinite[b, k]
            for t in range(exceed.shape[1]):
                exceed[k, t] += block_exceed[b, k, t]
            first, last = starts[b * k_outputs + k], starts[b * k_outputs + k + 1]
            size = last - first
            if before == 0:  # take the block's whole (merge_two's source rule)
                mean[k], m2[k], low[k], high[k] = block_mean[b, k], block_m2[b, k], block_low[b, k], block_high[b, k]
                if 2 * size > counts.shape[1]:
                    counts, sums, squares = _wider_buckets(counts, sums, squares, 2 * size, origin, window_low, window_high)
                counts[k, :], sums[k, :], squares[k, :] = 0, 0.0, 0.0
                window_low[k], window_high[k] = offset[b, k], offset[b, k] + size
                origin[k] = offset[b, k] - size // 2
                at = offset[b, k] - origin[k]
                counts[k, at:at + size] = flat_counts[first:last]
                sums[k, at:at + size] = flat_sums[first:last]
                squares[k, at:at + size] = flat_squares[first:last]
                continue
            if c == 0:
                continue
            delta = block_mean[b, k] - mean[k]
            mean[k] = mean[k] + delta * (c / n)
            if before < 2**37:  # the product is exact in a double: Python's int / int, to the bit
                ratio = (before * c) / n
            else:
                ratio = before * (c / n)
            m2[k] = m2[k] + block_m2[b, k] + delta * delta * ratio
            low[k] = min(low[k], block_low[b, k])
            high[k] = max(high[k], block_high[b, k])
            new_low, new_high = min(window_low[k], offset[b, k]), max(window_high[k], offset[b, k] + size)
            if new_low < origin[k] or new_high > origin[k] + counts.shape[1]:
                counts, sums, squares = _recentre(k, counts, sums, squares, origin, window_low, window_high, new_low, new_high)
            window_low[k], window_high[k] = new_low, new_high
            at = offset[b, k] - origin[k]
            for i in range(size):
                counts[k, at + i] += flat_counts[first + i]
                sums[k, at + i] += flat_sums[first + i]
                squares[k, at + i] += flat_squares[first + i]
    return count, nonfinite, exceed, mean, m2, low, high, window_low, window_high, origin, counts, sums, squares


@njit(**_OPTIONS)
def _wider_buckets(counts, sums, squares, capacity, origin, window_low, window_high):
    """The bucket arrays with at least ``capacity`` columns, each output's window kept where it is."""
    capacity = max(capacity, 2 * counts.shape[1])
    wider = (np.zeros((counts.shape[0], capacity), np.int64), np.zeros((counts.shape[0], capacity)), np.zeros((counts.shape[0], capacity)))
    wider[0][:, :counts.shape[1]] = counts
    wider[1][:, :counts.shape[1]] = sums
    wider[2][:, :counts.shape[1]] = squares
    return wider


@njit(**_OPTIONS)
def _recentre(k, counts, sums, squares, origin, window_low, window_high, new_low, new_high):
    """Make room for output k's window new_low..new_high (slots): wider arrays if needed,
    the window re-centred in its row."""
    size = new_high - new_low
    if 2 * size > counts.shape[1]:
        counts, sums, squares = _wider_buckets(counts, sums, squares, 2 * size, origin, window_low, window_high)
    new_origin = new_low - (counts.shape[1] - size) // 2
    used = window_high[k] - window_low[k]
    old_at, new_at = window_low[k] - origin[k], window_low[k] - new_origin
    row_counts, row_sums, row_squares = counts[k, old_at:old_at + used].copy(), sums[k, old_at:old_at + used].copy(), squares[k, old_at:old_at + used].copy()
    counts[k, :], sums[k, :], squares[k, :] = 0, 0.0, 0.0
    counts[k, new_at:new_at + used] = row_counts
    sums[k, new_at:new_at + used] = row_sums
    squares[k, new_at:new_at + used] = row_squares
    origin[k] = new_origin
    return counts, sums, squares


@njit(**_OPTIONS)
def empty_fold(k_outputs, most_thresholds):
    """A running merge of nothing (:func:`fold_blocks`' state)."""
    return (np.zeros(k_outputs, np.int64), np.zeros(k_outputs, np.int64), np.zeros((k_outputs, most_thresholds), np.int64), np.zeros(k_outputs),
            np.zeros(k_outputs), np.full(k_outputs, math.inf), np.full(k_outputs, -math.inf), np.zeros(k_outputs, np.int64),
            np.zeros(k_outputs, np.int64), np.zeros(k_outputs, np.int64), np.zeros((k_outputs, 64), np.int64), np.zeros((k_outputs, 64)),
            np.zeros((k_outputs, 64)))
