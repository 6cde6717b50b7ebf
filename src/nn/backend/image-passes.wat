;; The image blocks' max-pooling passes (see image-passes.ts for the JS reference of each) in WebAssembly SIMD, over
;; the memory of the element-wise passes' module (imported). Channels last, the channel count u a multiple of 4, four
;; channels per vector; float32 arithmetic as the JS reference rounds it, float64 column sums in the same order, so
;; results come out bit for bit the same. Branch-free: on random or noisy images the JS loops' compares mispredicted
;; about every other pixel. Pointers are byte offsets into the memory; `which` holds element indices into z.
(module
  (import "env" "memory" (memory 1))

  ;; out[b, oh, ow, c] = max over the window of act(z·scale + shift), which = index of the first maximum
  (func (export "max_pool_forward")
    (param $z i32) (param $images i32) (param $inH i32) (param $inW i32) (param $u i32)
    (param $pH i32) (param $pW i32) (param $sH i32) (param $sW i32) (param $outH i32) (param $outW i32)
    (param $scale i32) (param $shift i32) (param $alpha f32) (param $out i32) (param $which i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $c i32) (local $i i32) (local $j i32)
    (local $rowLen i32) (local $image i32) (local $start i32) (local $idx i32)
    (local $v v128) (local $best v128) (local $at v128) (local $m v128) (local $sc v128) (local $sh v128)
    (local $al v128) (local $lanes v128) (local $zero v128)
    (local.set $al (f32x4.splat (local.get $alpha)))
    (local.set $lanes (v128.const i32x4 0 1 2 3))
    (local.set $rowLen (i32.mul (local.get $inW) (local.get $u)))
    (local.set $image (i32.mul (local.get $inH) (local.get $rowLen)))
    (loop $images
      (local.set $oh (i32.const 0))
      (loop $rows
        (local.set $ow (i32.const 0))
        (loop $cols
          (local.set $c (i32.const 0))
          (loop $channels
            ;; start: element index of the window's top-left pixel, channel c
            (local.set $start
              (i32.add
                (i32.add (i32.mul (local.get $b) (local.get $image)) (local.get $c))
                (i32.mul
                  (i32.add
                    (i32.mul (i32.mul (local.get $oh) (local.get $sH)) (local.get $inW))
                    (i32.mul (local.get $ow) (local.get $sW)))
                  (local.get $u))))
            (local.set $sc (v128.load (i32.add (local.get $scale) (i32.shl (local.get $c) (i32.const 2)))))
            (local.set $sh (v128.load (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 2)))))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $at (i32x4.splat (i32.const 0)))
            (local.set $i (i32.const 0))
            (loop $winRows
              (local.set $j (i32.const 0))
              (loop $winCols
                (local.set $idx
                  (i32.add (local.get $start)
                    (i32.add (i32.mul (local.get $i) (local.get $rowLen)) (i32.mul (local.get $j) (local.get $u)))))
                (local.set $v
                  (f32x4.add
                    (f32x4.mul (v128.load (i32.add (local.get $z) (i32.shl (local.get $idx) (i32.const 2))))
                      (local.get $sc))
                    (local.get $sh)))
                ;; leaky ReLU: v > 0 ? v : alpha·v
                (local.set $v
                  (v128.bitselect (local.get $v) (f32x4.mul (local.get $v) (local.get $al))
                    (f32x4.gt (local.get $v) (local.get $zero))))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                (local.set $at
                  (v128.bitselect (i32x4.add (i32x4.splat (local.get $idx)) (local.get $lanes)) (local.get $at)
                    (local.get $m)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $winCols (i32.lt_u (local.get $j) (local.get $pW))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $winRows (i32.lt_u (local.get $i) (local.get $pH))))
            (v128.store (local.get $out) (local.get $best))
            (v128.store (local.get $which) (local.get $at))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $which (i32.add (local.get $which) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br_if $channels (i32.lt_u (local.get $c) (local.get $u))))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $ow) (local.get $outW))))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $oh) (local.get $outH))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $images)))))

  ;; g[o] = dy[o]·act'(z[which[o]]·scale + shift); sumG[c] += g, sumGz[c] += g·(z[which[o]] − mean[c]) (float64)
  (func (export "max_pool_backward")
    (param $dy i32) (param $which i32) (param $z i32) (param $count i32) (param $u i32)
    (param $scale i32) (param $shift i32) (param $alpha f32) (param $mean i32)
    (param $g i32) (param $sumG i32) (param $sumGz i32)
    (local $o i32) (local $c i32) (local $w v128) (local $zv v128) (local $v v128) (local $gv v128)
    (local $lo v128) (local $hi v128) (local $zlo v128) (local $zhi v128) (local $one v128) (local $al v128)
    (local $zero v128) (local $pc i32) (local $pm i32)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $al (f32x4.splat (local.get $alpha)))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $o) (local.get $count)))
        (local.set $w (v128.load (local.get $which)))
        (local.set $zv
          (f32x4.replace_lane 3
            (f32x4.replace_lane 2
              (f32x4.replace_lane 1
                (f32x4.splat
                  (f32.load (i32.add (local.get $z) (i32.shl (i32x4.extract_lane 0 (local.get $w)) (i32.const 2)))))
                (f32.load (i32.add (local.get $z) (i32.shl (i32x4.extract_lane 1 (local.get $w)) (i32.const 2)))))
              (f32.load (i32.add (local.get $z) (i32.shl (i32x4.extract_lane 2 (local.get $w)) (i32.const 2)))))
            (f32.load (i32.add (local.get $z) (i32.shl (i32x4.extract_lane 3 (local.get $w)) (i32.const 2))))))
        (local.set $pc (i32.add (local.get $scale) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $v
          (f32x4.add (f32x4.mul (local.get $zv) (v128.load (local.get $pc)))
            (v128.load (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $gv
          (f32x4.mul (v128.load (local.get $dy))
            (v128.bitselect (local.get $one) (local.get $al) (f32x4.gt (local.get $v) (local.get $zero)))))
        (v128.store (local.get $g) (local.get $gv))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $hi
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))
        (local.set $pm (i32.add (local.get $mean) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $zlo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $zv)) (v128.load (local.get $pm))))
        (local.set $zhi
          (f64x2.sub
            (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $zv) (local.get $zv)))
            (v128.load offset=16 (local.get $pm))))
        (local.set $pc (i32.add (local.get $sumG) (i32.shl (local.get $c) (i32.const 3))))
        (v128.store (local.get $pc) (f64x2.add (v128.load (local.get $pc)) (local.get $lo)))
        (v128.store offset=16 (local.get $pc) (f64x2.add (v128.load offset=16 (local.get $pc)) (local.get $hi)))
        (local.set $pc (i32.add (local.get $sumGz) (i32.shl (local.get $c) (i32.const 3))))
        (v128.store (local.get $pc)
          (f64x2.add (v128.load (local.get $pc)) (f64x2.mul (local.get $lo) (local.get $zlo))))
        (v128.store offset=16 (local.get $pc)
          (f64x2.add (v128.load offset=16 (local.get $pc)) (f64x2.mul (local.get $hi) (local.get $zhi))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $which (i32.add (local.get $which) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (if (i32.ge_u (local.get $c) (local.get $u)) (then (local.set $c (i32.const 0))))
        (br $values))))

  ;; dz[i] = z[i]·kb[c] + kc[c] for the len values of z, then dz[which[o]] += ka[c]·g[o] for the count pooled ones
  (func (export "norm_scatter")
    (param $z i32) (param $len i32) (param $u i32) (param $kb i32) (param $kc i32) (param $ka i32)
    (param $g i32) (param $which i32) (param $count i32) (param $dz i32)
    (local $i i32) (local $c i32) (local $at i32) (local $p i32) (local $q i32)
    (local.set $p (local.get $z))
    (local.set $q (local.get $dz))
    (block $denseDone
      (loop $dense
        (br_if $denseDone (i32.ge_u (local.get $i) (local.get $len)))
        (v128.store (local.get $q)
          (f32x4.add
            (f32x4.mul (v128.load (local.get $p)) (v128.load (i32.add (local.get $kb) (i32.shl (local.get $c) (i32.const 2)))))
            (v128.load (i32.add (local.get $kc) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (if (i32.ge_u (local.get $c) (local.get $u)) (then (local.set $c (i32.const 0))))
        (br $dense)))
    (local.set $i (i32.const 0))
    (local.set $c (i32.const 0))
    (block $scatterDone
      (loop $scatter
        (br_if $scatterDone (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $at
          (i32.add (local.get $dz) (i32.shl (i32.load (local.get $which)) (i32.const 2))))
        (f32.store (local.get $at)
          (f32.add (f32.load (local.get $at))
            (f32.mul (f32.load (i32.add (local.get $ka) (i32.shl (local.get $c) (i32.const 2))))
              (f32.load (local.get $g)))))
        (local.set $which (i32.add (local.get $which) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (if (i32.ge_u (local.get $c) (local.get $u)) (then (local.set $c (i32.const 0))))
        (br $scatter))))
)
