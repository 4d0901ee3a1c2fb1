-- pcnn_maxpool: per-channel maximum of one K x K window of int8 pixels.
-- Input: one window per beat (element ky*K+kx, channel fastest, as pcnn_window emits).
-- Output: one pixel per beat (channel c in bits 8c+7 downto 8c).
-- Pipelined pairwise max tree: one compare level per clock, ceil(log2(K*K)) register
-- stages (one for K = 1). The first level's maxima (half the window) pass a skid slice
-- (pcnn_skid) before their register, so s_ready is a register: the window's whole
-- decision logic upstream no longer hangs off m_ready. One enable freezes every stage
-- after the slice under backpressure; valid and last travel with the data, so one
-- window per clock is accepted whenever m_ready is high.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_maxpool is
  generic (
    G_CHANNELS : positive; -- channels per pixel
    G_KERNEL   : positive  -- pool window size (square)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one K x K window per beat (element ky*K+kx, channel fastest)
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_KERNEL * G_KERNEL * G_CHANNELS * 8 - 1 downto 0);
    s_last  : in  std_logic;
    -- output: the per-channel maximum as one pixel per beat, s_last passed along
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_maxpool;

architecture rtl of pcnn_maxpool is
  constant C_KK : positive := G_KERNEL * G_KERNEL;
  constant C_W  : positive := C_KK * G_CHANNELS * 8;

  -- compare levels (registered stages): ceil(log2(K*K)), at least 1
  constant C_LV : positive := pcnn_clog2(C_KK);

  -- window elements after the first compare level, and their bits
  constant C_N1 : positive := pcnn_ceil_div(C_KK, 2);
  constant C_W1 : positive := C_N1 * G_CHANNELS * 8;

  -- the stages' registers (elements of the window still alive, the rest zero)
  type data_arr_t is array (1 to C_LV) of std_logic_vector(C_W - 1 downto 0);
  signal data  : data_arr_t := (others => (others => '0'));  -- no reset needed
  signal valid : std_logic_vector(C_LV downto 1);
  signal last  : std_logic_vector(C_LV downto 1);
  signal en    : std_logic;
  -- the first level's maxima with last, into and out of the skid slice
  signal l1_in, l1_out : std_logic_vector(C_W1 downto 0);
  signal l1_valid      : std_logic;

  -- one compare level: element e of the result is the maximum of elements 2e and 2e+1
  -- (2e alone where the level has an odd count), per channel
  function level_max(x : std_logic_vector(C_W - 1 downto 0); n_in : positive)
    return std_logic_vector is
    variable nxt        : std_logic_vector(C_W - 1 downto 0);
    variable a, b       : signed(7 downto 0);
    variable ia, ib, io : natural;
  begin
    nxt := (others => '0');
    for e in 0 to pcnn_ceil_div(n_in, 2) - 1 loop
      for c in 0 to G_CHANNELS - 1 loop
        ia := (2 * e) * G_CHANNELS + c;
        io := e * G_CHANNELS + c;
        a  := signed(x(ia * 8 + 7 downto ia * 8));
        if 2 * e + 1 < n_in then
          ib := (2 * e + 1) * G_CHANNELS + c;
          b  := signed(x(ib * 8 + 7 downto ib * 8));
          if b > a then
            a := b;
          end if;
        end if;
        nxt(io * 8 + 7 downto io * 8) := std_logic_vector(a);
      end loop;
    end loop;
    return nxt;
  end function;
begin

  -- the first level before its register, through the skid slice (s_ready: its register)
  l1_in <= s_last & level_max(s_data, C_KK)(C_W1 - 1 downto 0);

  u_skid : entity pocket_cnn.pcnn_skid
    generic map (G_WIDTH => C_W1 + 1)
    port map (
      clk     => clk,
      rst     => rst,
      s_valid => s_valid,
      s_ready => s_ready,
      s_data  => l1_in,
      m_valid => l1_valid,
      m_ready => en,
      m_data  => l1_out
    );

  en      <= (not valid(C_LV)) or m_ready;
  m_valid <= valid(C_LV);
  m_last  <= last(C_LV);
  m_data  <= data(C_LV)(G_CHANNELS * 8 - 1 downto 0);

  -- stage 1: the skid slice's first-level maxima
  p_first : process (clk)
  begin
    if rising_edge(clk) then
      if en = '1' then
        data(1)                    <= (others => '0');
        data(1)(C_W1 - 1 downto 0) <= l1_out(C_W1 - 1 downto 0);
        valid(1)                   <= l1_valid;
        last(1)                    <= l1_out(C_W1);
      end if;
      if rst = '1' then
        valid(1) <= '0';
        last(1)  <= '0';
      end if;
    end if;
  end process;

  g_stage : for l in 2 to C_LV generate
    -- window elements alive before this stage: ceil(K*K / 2**(level-1))
    constant C_NI : positive := pcnn_ceil_div(C_KK, 2 ** (l - 1));
  begin
    p_stage : process (clk)
    begin
      if rising_edge(clk) then
        if en = '1' then
          data(l)  <= level_max(data(l - 1), C_NI);
          valid(l) <= valid(l - 1);
          last(l)  <= last(l - 1);
        end if;
        if rst = '1' then
          valid(l) <= '0';
          last(l)  <= '0';
        end if;
      end if;
    end process;
  end generate g_stage;

end architecture rtl;
