extension BLASKernel {
    /// The widest vector instructions an OpenBLAS kernel family's single-precision GEMM uses,
    /// ordered from weakest to strongest. Families of one class run GEMMs at about the same speed
    /// on a given CPU; a class higher up needs instructions a lower one does not.
    public enum VectorClass: Int, Comparable, Sendable, Codable, CustomStringConvertible {
        /// SSE2/SSE3 kernels (OpenBLAS's generic fallback, "Prescott", and the pre-2011 families).
        case sse = 1
        /// 256-bit AVX without FMA3 ("Sandybridge", and AMD's Bulldozer line).
        case avx
        /// 256-bit AVX2 with FMA3 ("Haswell", "Zen").
        case avx2
        /// 512-bit AVX-512 F/CD/BW/DQ/VL ("SkylakeX").
        case avx512
        /// AVX-512 with the BF16 extension ("Cooperlake").
        case avx512BF16
        /// AVX-512 BF16 with AMX tiles ("SapphireRapids").
        case amx

        public static func < (a: VectorClass, b: VectorClass) -> Bool { a.rawValue < b.rawValue }

        /// The class as far as single-precision GEMM speed goes: 1 SSE, 2 AVX, 3 AVX2+FMA,
        /// 4 any AVX-512 class. OpenBLAS's three AVX-512 families share their SGEMM kernels (BF16
        /// and AMX serve its bfloat16 GEMM only), so moving between them gains nothing here.
        public var gemmTier: Int { min(rawValue, VectorClass.avx512.rawValue) }

        public var description: String {
            switch self {
            case .sse: "SSE"
            case .avx: "AVX"
            case .avx2: "AVX2+FMA"
            case .avx512: "AVX-512"
            case .avx512BF16: "AVX-512+BF16"
            case .amx: "AVX-512+BF16+AMX"
            }
        }
    }

    /// An OpenBLAS x86-64 kernel family: the names `OPENBLAS_CORETYPE` takes and
    /// `openblas_get_corename()` reports (matched without regard to case).
    public enum Family: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
        case katmai = "Katmai", coppermine = "Coppermine", northwood = "Northwood", prescott = "Prescott"
        case banias = "Banias", atom = "Atom", core2 = "Core2", penryn = "Penryn", dunnington = "Dunnington"
        case nehalem = "Nehalem", athlon = "Athlon", opteron = "Opteron", opteronSSE3 = "Opteron_SSE3"
        case barcelona = "Barcelona", nano = "Nano", bobcat = "Bobcat"
        case sandybridge = "Sandybridge", bulldozer = "Bulldozer", piledriver = "Piledriver"
        case steamroller = "Steamroller", excavator = "Excavator"
        case haswell = "Haswell", zen = "Zen"
        case skylakeX = "SkylakeX", cooperlake = "Cooperlake", sapphireRapids = "SapphireRapids"

        /// The family OpenBLAS calls `name` (any case), or nil for a name this table does not know.
        public init?(openBLASName name: String) {
            guard let family = Family.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() })
            else { return nil }
            self = family
        }

        /// The widest vector instructions this family's GEMM kernels use.
        public var vectorClass: VectorClass {
            switch self {
            case .katmai, .coppermine, .northwood, .prescott, .banias, .atom, .core2, .penryn, .dunnington,
                 .nehalem, .athlon, .opteron, .opteronSSE3, .barcelona, .nano, .bobcat:
                .sse
            case .sandybridge, .bulldozer, .piledriver, .steamroller: .avx
            case .haswell, .zen, .excavator: .avx2
            case .skylakeX: .avx512
            case .cooperlake: .avx512BF16
            case .sapphireRapids: .amx
            }
        }

        public var description: String { rawValue }
    }
}
