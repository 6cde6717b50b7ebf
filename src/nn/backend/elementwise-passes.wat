;; The block trainer's element-wise passes (see elementwise-passes.ts for the JS reference of each) in WebAssembly SIMD.
;; Every array is row-major n × u float32 with u a multiple of 4; column accumulators are float64, as in the JS
;; passes, so sums come out bit for bit the same. Pointers are byte offsets into the exported memory.
(module
  (memory (export "memory") 1)

  ;; sum[c] += Σ_r a[r,c], sq[c] += Σ_r a[r,c]² (float64; the caller zeroes them)
  (func (export "col_moments") (param $a i32) (param $n i32) (param $u i32) (param $sum i32) (param $sq i32)
    (local $r i32) (local $c i32) (local $ps i32) (local $pq i32) (local $v v128) (local $lo v128) (local $hi v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $ps (local.get $sum))
        (local.set $pq (local.get $sq))
        (local.set $c (i32.const 0))
        (loop $cols
          (local.set $v (v128.load (local.get $a)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
          (v128.store (local.get $ps) (f64x2.add (v128.load (local.get $ps)) (local.get $lo)))
          (v128.store offset=16 (local.get $ps) (f64x2.add (v128.load offset=16 (local.get $ps)) (local.get $hi)))
          (v128.store (local.get $pq) (f64x2.add (v128.load (local.get $pq)) (f64x2.mul (local.get $lo) (local.get $lo))))
          (v128.store offset=16 (local.get $pq) (f64x2.add (v128.load offset=16 (local.get $pq)) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $ps (i32.add (local.get $ps) (i32.const 32)))
          (local.set $pq (i32.add (local.get $pq) (i32.const 32)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $u))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; y = (a·scale[c] + shift[c]) (· mask when mask ≠ 0); scale and shift float32
  (func (export "scale_shift") (param $a i32) (param $y i32) (param $mask i32) (param $n i32) (param $u i32) (param $scale i32) (param $shift i32)
    (local $r i32) (local $c i32) (local $pc i32) (local $ph i32) (local $v v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $pc (local.get $scale))
        (local.set $ph (local.get $shift))
        (local.set $c (i32.const 0))
        (loop $cols
          (local.set $v (f32x4.add (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $pc))) (v128.load (local.get $ph))))
          (if (local.get $mask)
            (then
              (local.set $v (f32x4.mul (local.get $v) (v128.load (local.get $mask))))
              (local.set $mask (i32.add (local.get $mask) (i32.const 16)))))
          (v128.store (local.get $y) (local.get $v))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
          (local.set $ph (i32.add (local.get $ph) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $u))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; g = dy·mask (when mask ≠ 0; else g is dy and is not written), sumG[c] += Σ g, sumGa[c] += Σ g·a (float64)
  (func (export "masked_col_sums") (param $dy i32) (param $mask i32) (param $g i32) (param $a i32) (param $n i32) (param $u i32) (param $sumG i32) (param $sumGa i32)
    (local $r i32) (local $c i32) (local $ps i32) (local $pa i32) (local $v v128) (local $glo v128) (local $ghi v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $ps (local.get $sumG))
        (local.set $pa (local.get $sumGa))
        (local.set $c (i32.const 0))
        (loop $cols
          (local.set $v (v128.load (local.get $dy)))
          (if (local.get $mask)
            (then
              (local.set $v (f32x4.mul (local.get $v) (v128.load (local.get $mask))))
              (v128.store (local.get $g) (local.get $v))
              (local.set $mask (i32.add (local.get $mask) (i32.const 16)))
              (local.set $g (i32.add (local.get $g) (i32.const 16)))))
          (local.set $glo (f64x2.promote_low_f32x4 (local.get $v)))
          (local.set $ghi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
          (v128.store (local.get $ps) (f64x2.add (v128.load (local.get $ps)) (local.get $glo)))
          (v128.store offset=16 (local.get $ps) (f64x2.add (v128.load offset=16 (local.get $ps)) (local.get $ghi)))
          (local.set $v (v128.load (local.get $a)))
          (v128.store (local.get $pa)
            (f64x2.add (v128.load (local.get $pa)) (f64x2.mul (local.get $glo) (f64x2.promote_low_f32x4 (local.get $v)))))
          (v128.store offset=16 (local.get $pa)
            (f64x2.add (v128.load offset=16 (local.get $pa)) (f64x2.mul (local.get $ghi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
          (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $ps (i32.add (local.get $ps) (i32.const 32)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $u))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; dz = (α[c]·g + β[c]·a + γ[c])·act'(a) in float64, stored as float32 (rows);
  ;; db[c] += Σ dz before rounding (float64). α, β, γ float64.
  (func (export "act_backward") (param $kind i32) (param $g i32) (param $a i32) (param $n i32) (param $u i32)
      (param $alpha i32) (param $beta i32) (param $gamma i32) (param $dz i32) (param $db i32)
    (local $r i32) (local $c i32) (local $pal i32) (local $pbe i32) (local $pga i32) (local $pdb i32)
    (local $gv v128) (local $av v128) (local $alo v128) (local $ahi v128) (local $dlo v128) (local $dhi v128) (local $d v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $keep v128) (local $zero v128)
    ;; act'(a) = (k0 + k1·a + k2·a²), for relu also masked to a > 0 (keep is all ones for the other kinds):
    ;; linear 1; sigmoid a − a²; tanh 1 − a²; relu 1 where a > 0
    (local.set $k0 (f64x2.splat (select (f64.const 0) (f64.const 1) (i32.eq (local.get $kind) (i32.const 1)))))
    (local.set $k1 (f64x2.splat (select (f64.const 1) (f64.const 0) (i32.eq (local.get $kind) (i32.const 1)))))
    (local.set $k2 (f64x2.splat
      (select (f64.const -1) (f64.const 0) (i32.or (i32.eq (local.get $kind) (i32.const 1)) (i32.eq (local.get $kind) (i32.const 2))))))
    (local.set $keep (select (v128.const i64x2 0 0) (v128.const i64x2 -1 -1) (i32.eq (local.get $kind) (i32.const 3))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $pal (local.get $alpha))
        (local.set $pbe (local.get $beta))
        (local.set $pga (local.get $gamma))
        (local.set $pdb (local.get $db))
        (local.set $c (i32.const 0))
        (loop $cols
          (local.set $gv (v128.load (local.get $g)))
          (local.set $av (v128.load (local.get $a)))
          (local.set $alo (f64x2.promote_low_f32x4 (local.get $av)))
          (local.set $ahi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $av) (local.get $av))))
          (local.set $dlo
            (f64x2.mul
              (f64x2.add
                (f64x2.add
                  (f64x2.mul (v128.load (local.get $pal)) (f64x2.promote_low_f32x4 (local.get $gv)))
                  (f64x2.mul (v128.load (local.get $pbe)) (local.get $alo)))
                (v128.load (local.get $pga)))
              (v128.and
                (f64x2.add (local.get $k0) (f64x2.mul (local.get $alo) (f64x2.add (local.get $k1) (f64x2.mul (local.get $k2) (local.get $alo)))))
                (v128.or (local.get $keep) (f64x2.gt (local.get $alo) (local.get $zero))))))
          (local.set $dhi
            (f64x2.mul
              (f64x2.add
                (f64x2.add
                  (f64x2.mul (v128.load offset=16 (local.get $pal)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))
                  (f64x2.mul (v128.load offset=16 (local.get $pbe)) (local.get $ahi)))
                (v128.load offset=16 (local.get $pga)))
              (v128.and
                (f64x2.add (local.get $k0) (f64x2.mul (local.get $ahi) (f64x2.add (local.get $k1) (f64x2.mul (local.get $k2) (local.get $ahi)))))
                (v128.or (local.get $keep) (f64x2.gt (local.get $ahi) (local.get $zero))))))
          (local.set $d
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (local.get $dlo)) (f32x4.demote_f64x2_zero (local.get $dhi))))
          (v128.store (local.get $dz) (local.get $d))
          (v128.store (local.get $pdb) (f64x2.add (v128.load (local.get $pdb)) (local.get $dlo)))
          (v128.store offset=16 (local.get $pdb) (f64x2.add (v128.load offset=16 (local.get $pdb)) (local.get $dhi)))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $dz (i32.add (local.get $dz) (i32.const 16)))
          (local.set $pal (i32.add (local.get $pal) (i32.const 32)))
          (local.set $pbe (i32.add (local.get $pbe) (i32.const 32)))
          (local.set $pga (i32.add (local.get $pga) (i32.const 32)))
          (local.set $pdb (i32.add (local.get $pdb) (i32.const 32)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $u))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

;; dst[c·rows + r] = src[r·cols + c] (cols a multiple of 4): 4 × 4 blocks through registers, leftover rows one by one
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $rowBytes i32) (local $colBytes i32) (local $s i32) (local $d i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $a v128) (local $b v128) (local $e v128) (local $f v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $cols4
          ;; s: src[r, c]; d: dst[c, r]
          (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
          (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
          (local.set $r0 (v128.load (local.get $s)))
          (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $rowBytes))))
          (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $rowBytes) (i32.const 1)))))
          (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $rowBytes) (i32.const 3)))))
          ;; a = [r0.0 r1.0 r0.1 r1.1], b = [r2.0 r3.0 r2.1 r3.1], e = [r0.2 r1.2 r0.3 r1.3], f = [r2.2 r3.2 r2.3 r3.3]
          (local.set $a (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
          (local.set $b (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
          (local.set $e (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $f (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
          (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
          (v128.store (i32.add (local.get $d) (local.get $colBytes))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)))
          (v128.store (i32.add (local.get $d) (i32.shl (local.get $colBytes) (i32.const 1)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $e) (local.get $f)))
          (v128.store (i32.add (local.get $d) (i32.mul (local.get $colBytes) (i32.const 3)))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e) (local.get $f)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $cols4 (i32.lt_u (local.get $c) (local.get $cols))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $blocks)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (loop $cols1
          (f32.store
            (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
            (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $cols1 (i32.lt_u (local.get $c) (local.get $cols))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail))))

  ;; SeededDropout's mask: xorshift32, two 16-bit draws per step; returns the new state
  (func (export "dropout_mask") (param $mask i32) (param $len i32) (param $state i32) (param $threshold i32) (param $scale f32) (result i32)
    (local $i i32)
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $len)))
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 13))))
        (local.set $state (i32.xor (local.get $state) (i32.shr_u (local.get $state) (i32.const 17))))
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 5))))
        (f32.store (local.get $mask)
          (select (local.get $scale) (f32.const 0) (i32.lt_u (i32.and (local.get $state) (i32.const 0xffff)) (local.get $threshold))))
        (f32.store offset=4 (local.get $mask)
          (select (local.get $scale) (f32.const 0) (i32.lt_u (i32.shr_u (local.get $state) (i32.const 16)) (local.get $threshold))))
        (local.set $mask (i32.add (local.get $mask) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    (if (i32.lt_u (local.get $i) (local.get $len))
      (then
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 13))))
        (local.set $state (i32.xor (local.get $state) (i32.shr_u (local.get $state) (i32.const 17))))
        (local.set $state (i32.xor (local.get $state) (i32.shl (local.get $state) (i32.const 5))))
        (f32.store (local.get $mask)
          (select (local.get $scale) (f32.const 0) (i32.lt_u (i32.and (local.get $state) (i32.const 0xffff)) (local.get $threshold))))))
    (local.get $state))
)
