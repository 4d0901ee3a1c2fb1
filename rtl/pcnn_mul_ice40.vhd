-- pcnn_mul_ice40: two products pa = xa * wa and pb = xb * wb in one iCE40 SB_MAC16 in its
-- 8 x 8 mode (two multipliers of 8 x 8 bits), each ending at the block's own product
-- register (TOP_8x8_MULT_REG / BOT_8x8_MULT_REG). yosys 0.23's SB_MAC16 mapping (-dsp)
-- loses the operands' sign extension and misplaces shared registers, so the iCE40 flow
-- infers no DSPs; this instance is the one way products reach the UP5K's 8 blocks.
-- Latency: one clock (the product registers); ce enables them.
-- Operands: x bytes two's complement (G_X_SIGNED) or unsigned, w bytes two's complement;
-- each product fits 16 bits (|x * w| <= 255 * 128), the block's 8 x 8 output width.
-- SB_MAC16 is a black box for ghdl --synth (yosys' ice40 cells); a GHDL simulation binds
-- the model in sim/models.
library ieee;
use ieee.std_logic_1164.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_mul_ice40 is
  generic (
    G_X_SIGNED : boolean -- x bytes are int8 (true) or uint8 (false)
  );
  port (
    -- clock and the product registers' enable
    clk : in  std_logic;
    ce  : in  std_logic;
    -- operands of the two products (bytes)
    xa  : in  std_logic_vector(7 downto 0);
    wa  : in  std_logic_vector(7 downto 0);
    xb  : in  std_logic_vector(7 downto 0);
    wb  : in  std_logic_vector(7 downto 0);
    -- the products xa * wa and xb * wb (16 bits, two's complement), registered
    pa  : out std_logic_vector(15 downto 0);
    pb  : out std_logic_vector(15 downto 0)
  );
end entity pcnn_mul_ice40;

architecture rtl of pcnn_mul_ice40 is

  -- the block as yosys' ice40 library names it (a Verilog module, case-sensitive): the
  -- parameters set here, every input port (an open one would be undriven)
  -- vsg_off
  component SB_MAC16 is
    generic (
      TOP_8x8_MULT_REG : std_logic := '0';
      BOT_8x8_MULT_REG : std_logic := '0';
      TOPOUTPUT_SELECT : std_logic_vector(1 downto 0) := "00";
      BOTOUTPUT_SELECT : std_logic_vector(1 downto 0) := "00";
      MODE_8x8         : std_logic := '0';
      A_SIGNED         : std_logic := '0';
      B_SIGNED         : std_logic := '0'
    );
    port (
      CLK, CE                    : in  std_logic;
      C, A, B, D                 : in  std_logic_vector(15 downto 0);
      AHOLD, BHOLD, CHOLD, DHOLD : in  std_logic;
      IRSTTOP, IRSTBOT           : in  std_logic;
      ORSTTOP, ORSTBOT           : in  std_logic;
      OLOADTOP, OLOADBOT         : in  std_logic;
      ADDSUBTOP, ADDSUBBOT       : in  std_logic;
      OHOLDTOP, OHOLDBOT         : in  std_logic;
      CI, ACCUMCI, SIGNEXTIN     : in  std_logic;
      O                          : out std_logic_vector(31 downto 0)
    );
  end component SB_MAC16;
  -- vsg_on

  constant C_XS : std_logic := pcnn_sl(G_X_SIGNED);

  signal a, b : std_logic_vector(15 downto 0);
  signal o    : std_logic_vector(31 downto 0);

begin

  -- top multiplier: A(15:8) * B(15:8), bottom: A(7:0) * B(7:0)
  a <= xa & xb;
  b <= wa & wb;

  -- vsg_off
  u_dsp : component SB_MAC16
    generic map (
      TOP_8x8_MULT_REG => '1',
      BOT_8x8_MULT_REG => '1',
      TOPOUTPUT_SELECT => "10",
      BOTOUTPUT_SELECT => "10",
      MODE_8x8         => '1',
      A_SIGNED         => C_XS,
      B_SIGNED         => '1'
    )
    port map (
      CLK => clk, CE => ce,
      C => (others => '0'), A => a, B => b, D => (others => '0'),
      AHOLD => '0', BHOLD => '0', CHOLD => '0', DHOLD => '0',
      IRSTTOP => '0', IRSTBOT => '0', ORSTTOP => '0', ORSTBOT => '0',
      OLOADTOP => '0', OLOADBOT => '0', ADDSUBTOP => '0', ADDSUBBOT => '0',
      OHOLDTOP => '0', OHOLDBOT => '0', CI => '0', ACCUMCI => '0', SIGNEXTIN => '0',
      O => o
    );
  -- vsg_on

  pa <= o(31 downto 16);
  pb <= o(15 downto 0);

end architecture rtl;
