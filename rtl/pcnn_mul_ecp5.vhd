-- pcnn_mul_ecp5: one product p = x * w in an ECP5 sysDSP block (MULT18X18D) whose own
-- output register is the product register. yosys 0.23 maps a VHDL product to a
-- MULT18X18D without registers, so the block's 3.9 ns and the routing into and out of
-- it (2-6 ns each way on nextpnr-ecp5) sit between two fabric flip-flops; with the
-- output register the route out ends at the block. The operands come from fabric
-- registers; with G_INREG the block's input registers take them too, so that the
-- 3.5-4.0 ns route into the block is a clock of its own (the block's setup time at an
-- unregistered input is 3.5 ns more).
-- Latency: one clock (output register), two with G_INREG; ce enables every register.
-- x is 9 bits and w 8 bits, both signed, sign-extended to the block's 18 bits; the
-- product fits 16 bits (|x| <= 255, |w| <= 128).
-- MULT18X18D is a black box for ghdl --synth (yosys' ecp5 cells); a GHDL simulation
-- binds the model in sim/models.
library ieee;
use ieee.std_logic_1164.all;

entity pcnn_mul_ecp5 is
  generic (
    G_INREG : boolean := false -- operands through the block's input registers (2 clocks)
  );
  port (
    -- clock and the output register's enable
    clk : in  std_logic;
    ce  : in  std_logic;
    -- operands, two's complement: x 9 bits, w 8 bits
    x   : in  std_logic_vector(8 downto 0);
    w   : in  std_logic_vector(7 downto 0);
    -- product x * w (16 bits, two's complement), registered
    p   : out std_logic_vector(15 downto 0)
  );
end entity pcnn_mul_ecp5;

architecture rtl of pcnn_mul_ecp5 is

  -- the block as yosys' ecp5 library names it: its names and case are the library's (a
  -- Verilog module, case-sensitive), its ports scalar; only the ports in use
  -- vsg_off
  component MULT18X18D is
    generic (
      REG_INPUTA_CLK : string := "NONE";
      REG_INPUTB_CLK : string := "NONE";
      REG_OUTPUT_CLK : string := "NONE"
    );
    port (
      A0, A1, A2, A3, A4, A5, A6, A7, A8, A9 : in std_logic;
      A10, A11, A12, A13, A14, A15, A16, A17 : in std_logic;
      B0, B1, B2, B3, B4, B5, B6, B7, B8, B9 : in std_logic;
      B10, B11, B12, B13, B14, B15, B16, B17 : in std_logic;
      SIGNEDA, SIGNEDB, SOURCEA, SOURCEB     : in std_logic;
      CLK0, CE0, RST0                        : in std_logic;
      P0, P1, P2, P3, P4, P5, P6, P7, P8, P9 : out std_logic;
      P10, P11, P12, P13, P14, P15           : out std_logic
    );
  end component MULT18X18D;
  -- vsg_on

  -- the input registers' clock setting
  function in_clk return string is
  begin
    if G_INREG then
      return "CLK0";
    end if;
    return "NONE";
  end function;

  -- the operands at the block's width
  signal a : std_logic_vector(17 downto 0);
  signal b : std_logic_vector(17 downto 0);

begin

  -- sign extension to the block's 18-bit operands
  a <= (17 downto 9 => x(8)) & x;
  b <= (17 downto 8 => w(7)) & w;

  -- vsg_off
  u_dsp : component MULT18X18D
    generic map (
      REG_INPUTA_CLK => in_clk,
      REG_INPUTB_CLK => in_clk,
      REG_OUTPUT_CLK => "CLK0"
    )
    port map (
      A0  => a(0),  A1  => a(1),  A2  => a(2),  A3  => a(3),  A4  => a(4),  A5  => a(5),
      A6  => a(6),  A7  => a(7),  A8  => a(8),  A9  => a(9),  A10 => a(10), A11 => a(11),
      A12 => a(12), A13 => a(13), A14 => a(14), A15 => a(15), A16 => a(16), A17 => a(17),
      B0  => b(0),  B1  => b(1),  B2  => b(2),  B3  => b(3),  B4  => b(4),  B5  => b(5),
      B6  => b(6),  B7  => b(7),  B8  => b(8),  B9  => b(9),  B10 => b(10), B11 => b(11),
      B12 => b(12), B13 => b(13), B14 => b(14), B15 => b(15), B16 => b(16), B17 => b(17),
      SIGNEDA => '1', SIGNEDB => '1', SOURCEA => '0', SOURCEB => '0',
      CLK0 => clk, CE0 => ce, RST0 => '0',
      P0  => p(0),  P1  => p(1),  P2  => p(2),  P3  => p(3),  P4  => p(4),  P5  => p(5),
      P6  => p(6),  P7  => p(7),  P8  => p(8),  P9  => p(9),  P10 => p(10), P11 => p(11),
      P12 => p(12), P13 => p(13), P14 => p(14), P15 => p(15)
    );
  -- vsg_on

end architecture rtl;
