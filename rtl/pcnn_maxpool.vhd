-- pcnn_maxpool: per-channel maximum of one K x K window of int8 pixels.
-- Input: one window per beat (element ky*K+kx, channel fastest, as pcnn_window emits).
-- Output: one pixel per beat (channel c in bits 8c+7 downto 8c).
-- Pipelined pairwise max tree: one compare level per clock, ceil(log2(K*K)) register
-- stages (one for K = 1). One enable freezes every stage under backpressure; valid and
-- last travel with the data, so one window per clock is accepted whenever m_ready is high.
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

  type data_arr_t is array (0 to C_LV) of std_logic_vector(C_W - 1 downto 0);
  signal data  : data_arr_t := (others => (others => '0'));  -- no reset needed
  signal valid : std_logic_vector(C_LV downto 0);
  signal last  : std_logic_vector(C_LV downto 0);
  signal en    : std_logic;
begin

  data(0)  <= s_data;
  valid(0) <= s_valid;
  last(0)  <= s_last;

  en      <= (not valid(C_LV)) or m_ready;
  s_ready <= en;
  m_valid <= valid(C_LV);
  m_last  <= last(C_LV);
  m_data  <= data(C_LV)(G_CHANNELS * 8 - 1 downto 0);

  g_stage : for l in 1 to C_LV generate
    -- window elements alive before and after this stage: ceil(K*K / 2**level)
    constant C_NI : positive := pcnn_ceil_div(C_KK, 2 ** (l - 1));
    constant C_NO : positive := pcnn_ceil_div(C_KK, 2 ** l);
  begin
    p_stage : process (clk)
      variable nxt        : std_logic_vector(C_W - 1 downto 0);
      variable a, b       : signed(7 downto 0);
      variable ia, ib, io : natural;
    begin
      if rising_edge(clk) then
        if en = '1' then
          nxt := (others => '0');
          for e in 0 to C_NO - 1 loop
            for c in 0 to G_CHANNELS - 1 loop
              ia := (2 * e) * G_CHANNELS + c;
              io := e * G_CHANNELS + c;
              a  := signed(data(l - 1)(ia * 8 + 7 downto ia * 8));
              if 2 * e + 1 < C_NI then
                ib := (2 * e + 1) * G_CHANNELS + c;
                b  := signed(data(l - 1)(ib * 8 + 7 downto ib * 8));
                if b > a then
                  a := b;
                end if;
              end if;
              nxt(io * 8 + 7 downto io * 8) := std_logic_vector(a);
            end loop;
          end loop;
          data(l)  <= nxt;
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
