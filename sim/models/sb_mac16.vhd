-- SB_MAC16: simulation model of the iCE40 DSP block, the subset that pcnn_mul_ice40
-- instantiates (same generics and ports; the name and case are the vendor's, so GHDL
-- binds pcnn_mul_ice40's component to it). Written from Lattice's description of the
-- block (TN1295, DSP Function Usage Guide for iCE40 Devices): in the 8 x 8 mode
-- (MODE_8x8) the top multiplier forms A(15:8) * B(15:8) and the bottom one
-- A(7:0) * B(7:0), each operand byte two's complement when its A_SIGNED / B_SIGNED is
-- set, else unsigned; the 16-bit products go through their registers (TOP_8x8_MULT_REG,
-- BOT_8x8_MULT_REG, enabled by CE) to O(31:16) and O(15:0) with the output selects at
-- "10". Only that setting is modelled (anything else stops the simulation); the holds,
-- resets, loads and the adder/accumulator are not. Simulation only: the synthesis flows
-- use yosys' ice40 cell of this name.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

-- vsg_off
entity SB_MAC16 is
  generic (
    TOP_8x8_MULT_REG : std_logic := '0';                     -- register the top product
    BOT_8x8_MULT_REG : std_logic := '0';                     -- register the bottom product
    TOPOUTPUT_SELECT : std_logic_vector(1 downto 0) := "00"; -- "10": O(31:16) = top product
    BOTOUTPUT_SELECT : std_logic_vector(1 downto 0) := "00"; -- "10": O(15:0) = bottom product
    MODE_8x8         : std_logic := '0';                     -- two 8 x 8 multipliers
    A_SIGNED         : std_logic := '0';                     -- A bytes two's complement
    B_SIGNED         : std_logic := '0'                      -- B bytes two's complement
  );
  port (
    CLK, CE                    : in  std_logic;                     -- clock, enable
    C, A, B, D                 : in  std_logic_vector(15 downto 0); -- operands (A, B used)
    AHOLD, BHOLD, CHOLD, DHOLD : in  std_logic;                     -- not modelled
    IRSTTOP, IRSTBOT           : in  std_logic;
    ORSTTOP, ORSTBOT           : in  std_logic;
    OLOADTOP, OLOADBOT         : in  std_logic;
    ADDSUBTOP, ADDSUBBOT       : in  std_logic;
    OHOLDTOP, OHOLDBOT         : in  std_logic;
    CI, ACCUMCI, SIGNEXTIN     : in  std_logic;
    O                          : out std_logic_vector(31 downto 0)  -- the two products
  );
end entity SB_MAC16;

architecture model of SB_MAC16 is
  -- vsg_on

  -- an operand byte as 9 bits two's complement (sign- or zero-extended)
  function value(v : std_logic_vector(7 downto 0); sgn : std_logic) return signed is
  begin
    return signed((v(7) and sgn) & v);
  end function;

  -- the 16 low bits of the product of two bytes
  function product(x, w : std_logic_vector(7 downto 0)) return std_logic_vector is
    variable p : signed(17 downto 0);
  begin
    p := value(x, A_SIGNED) * value(w, B_SIGNED);
    return std_logic_vector(p(15 downto 0));
  end function;

  signal top_r : std_logic_vector(15 downto 0) := (others => '0');
  signal bot_r : std_logic_vector(15 downto 0) := (others => '0');

begin

  assert MODE_8x8 = '1' and TOP_8x8_MULT_REG = '1' and BOT_8x8_MULT_REG = '1' and
         TOPOUTPUT_SELECT = "10" and BOTOUTPUT_SELECT = "10"
    report "SB_MAC16 model: only the 8 x 8 mode with registered products is modelled"
    severity failure;

  p_reg : process (CLK)
  begin
    if rising_edge(CLK) then
      if CE = '1' then
        top_r <= product(A(15 downto 8), B(15 downto 8));
        bot_r <= product(A(7 downto 0), B(7 downto 0));
      end if;
    end if;
  end process;

  O <= top_r & bot_r;

end architecture model;
