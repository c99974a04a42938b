// fp16 -> f32 widening shared by matmul-inl.h and ops-inl.h.

#if defined(GEMMA_KERNELS_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GEMMA_KERNELS_CONVERT_INL_H_
#undef GEMMA_KERNELS_CONVERT_INL_H_
#else
#define GEMMA_KERNELS_CONVERT_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gemma::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loads Lanes(df) fp16 values from p (bits) and widens them exactly to f32.
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF16AsF32(DF df, const uint16_t* p) {
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_ARCH_ARM_A64
  // Hardware conversion (F16C vcvtph2ps / fcvtl).
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
#else
  // Highway 1.0.3's emulated PromoteTo turns inf/NaN into finite numbers;
  // this integer version is exact for every input.
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;  // 1.0.3 lacks u32 comparisons on SSE4
  const hn::Rebind<uint16_t, DF> du16;
  const auto h = hn::PromoteTo(du, hn::LoadU(du16, p));
  const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u)));
  const auto em = hn::And(h, hn::Set(du, 0x7FFFu));  // exponent and mantissa
  const auto emi = hn::BitCast(di, em);
  const auto rebias = hn::Set(du, (127u - 15u) << 23);
  auto bits = hn::Add(hn::ShiftLeft<13>(em), rebias);  // normal numbers
  // exponent 31 (inf/NaN) must become 255: rebias once more.
  bits = hn::IfThenElse(hn::RebindMask(du, hn::Gt(emi, hn::Set(di, 0x7BFF))), hn::Add(bits, rebias),
                        bits);
  // Subnormal (and zero): mantissa * 2^-24, exact in f32.
  const auto sub = hn::Mul(hn::ConvertTo(df, emi), hn::Set(df, 5.9604644775390625e-08f));
  const auto mag = hn::IfThenElse(hn::RebindMask(df, hn::Lt(emi, hn::Set(di, 0x400))), sub,
                                  hn::BitCast(df, bits));
  return hn::Or(mag, hn::BitCast(df, sign));
#endif
}

}  // namespace gemma::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
