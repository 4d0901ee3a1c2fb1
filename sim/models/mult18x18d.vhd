-- MULT18X18D: simulation model of the ECP5 sysDSP 18 x 18 multiplier, the subset that
-- pcnn_mul_ecp5 instantiates (same generics and ports; the name and case are the
-- vendor's, so GHDL binds pcnn_mul_ecp5's component to it). Written from Lattice's
-- description of the block (TN1267, ECP5 sysDSP): P = A * B, each operand two's
-- complement when its SIGNED input is high, else unsigned; the A and B input registers
-- and the output register are in use when their *_CLK generic is "CLK0" (the only clock
-- modelled), each enabled by CE0 and cleared by RST0 at the clock (RESETMODE "SYNC").
-- Only P0..P15 (the low 16 bits of the product) are modelled. Simulation only: the
-- synthesis flows use yosys' ECP5 cell of this name.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

-- vsg_off
entity MULT18X18D is
  generic (
    REG_INPUTA_CLK : string := "NONE"; -- "CLK0": register A, "NONE": A enters directly
    REG_INPUTB_CLK : string := "NONE"; -- "CLK0": register B, "NONE": B enters directly
    REG_OUTPUT_CLK : string := "NONE"  -- "CLK0": register P, "NONE": P is combinational
  );
  port (
    A0, A1, A2, A3, A4, A5, A6, A7, A8, A9 : in std_logic;  -- operand A
    A10, A11, A12, A13, A14, A15, A16, A17 : in std_logic;
    B0, B1, B2, B3, B4, B5, B6, B7, B8, B9 : in std_logic;  -- operand B
    B10, B11, B12, B13, B14, B15, B16, B17 : in std_logic;
    SIGNEDA, SIGNEDB, SOURCEA, SOURCEB     : in std_logic;  -- operand signedness, sources
    CLK0, CE0, RST0                        : in std_logic;  -- clock, enable, reset
    P0, P1, P2, P3, P4, P5, P6, P7, P8, P9 : out std_logic; -- product bits 0 .. 15
    P10, P11, P12, P13, P14, P15           : out std_logic
  );
end entity MULT18X18D;

architecture model of MULT18X18D is
  -- vsg_on
  signal a    : std_logic_vector(17 downto 0);
  signal b    : std_logic_vector(17 downto 0);
  signal a_r  : std_logic_vector(17 downto 0) := (others => '0');
  signal b_r  : std_logic_vector(17 downto 0) := (others => '0');
  signal a_m  : std_logic_vector(17 downto 0);
  signal b_m  : std_logic_vector(17 downto 0);
  signal sa_r : std_logic := '0';
  signal sb_r : std_logic := '0';
  signal sa_m : std_logic;
  signal sb_m : std_logic;
  signal prod : std_logic_vector(15 downto 0);
  signal p_r  : std_logic_vector(15 downto 0) := (others => '0');
  signal p    : std_logic_vector(15 downto 0);

  -- an operand as 19 bits two's complement: sign-extended when sgn is high, else
  -- zero-extended (unsigned)
  function value(v : std_logic_vector(17 downto 0); sgn : std_logic) return signed is
  begin
    return signed((v(17) and sgn) & v);
  end function;

  signal full : signed(37 downto 0);
begin
  assert (REG_INPUTA_CLK = "NONE" or REG_INPUTA_CLK = "CLK0") and
         (REG_INPUTB_CLK = "NONE" or REG_INPUTB_CLK = "CLK0") and
         (REG_OUTPUT_CLK = "NONE" or REG_OUTPUT_CLK = "CLK0")
    report "MULT18X18D model: only the clock settings NONE and CLK0 are modelled"
    severity failure;

  a <= A17 & A16 & A15 & A14 & A13 & A12 & A11 & A10 & A9 & A8 & A7 & A6 & A5 & A4 & A3 & A2 & A1 & A0;
  b <= B17 & B16 & B15 & B14 & B13 & B12 & B11 & B10 & B9 & B8 & B7 & B6 & B5 & B4 & B3 & B2 & B1 & B0;

  p_reg : process (CLK0)
  begin
    if rising_edge(CLK0) then
      if RST0 = '1' then
        a_r  <= (others => '0');
        b_r  <= (others => '0');
        sa_r <= '0';
        sb_r <= '0';
        p_r  <= (others => '0');
      elsif CE0 = '1' then
        a_r  <= a;
        b_r  <= b;
        sa_r <= SIGNEDA;
        sb_r <= SIGNEDB;
        p_r  <= prod;
      end if;
    end if;
  end process;

  a_m  <= a_r when REG_INPUTA_CLK = "CLK0" else a;
  sa_m <= sa_r when REG_INPUTA_CLK = "CLK0" else SIGNEDA;
  b_m  <= b_r when REG_INPUTB_CLK = "CLK0" else b;
  sb_m <= sb_r when REG_INPUTB_CLK = "CLK0" else SIGNEDB;

  -- the product; its low 16 bits (pcnn_mul_ecp5's operands keep it within them)
  full <= value(a_m, sa_m) * value(b_m, sb_m);
  prod <= std_logic_vector(full(15 downto 0));
  p    <= p_r when REG_OUTPUT_CLK = "CLK0" else prod;

  P0  <= p(0);
  P1  <= p(1);
  P2  <= p(2);
  P3  <= p(3);
  P4  <= p(4);
  P5  <= p(5);
  P6  <= p(6);
  P7  <= p(7);
  P8  <= p(8);
  P9  <= p(9);
  P10 <= p(10);
  P11 <= p(11);
  P12 <= p(12);
  P13 <= p(13);
  P14 <= p(14);
  P15 <= p(15);
end architecture model;
