-- pcnn_maxpool: per-channel maximum of one K x K window of int8 pixels.
-- Input: one window per beat (element ky*K+kx, channel fastest, as pcnn_window emits).
-- Output: one pixel per beat (channel c in bits 8c+7 downto 8c).
-- Pipelined pairwise max tree: one compare level per clock, ceil(log2(K*K)) register
-- stages (one for K = 1), then a skid slice of one output pixel (pcnn_skid). Each stage
-- moves on its own (it is empty, or the next one moves: bubbles close up), and a count
-- of the words held in the stages and the slice gives s_ready as a register: while one
-- of those slots is free a new window can enter whatever m_ready does, so the pool
-- window's decision upstream no longer hangs off the next PE's ready. valid and last
-- travel with the data; one window per clock is accepted whenever m_ready is high.
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
  constant C_LV  : positive := pcnn_clog2(C_KK);
  -- words the block can hold: one per stage and the skid slice's
  constant C_CAP : positive := C_LV + 1;

  -- stage 0 is the input (a word only when it is taken)
  type data_arr_t is array (0 to C_LV) of std_logic_vector(C_W - 1 downto 0);
  signal data  : data_arr_t := (others => (others => '0'));  -- no reset needed
  signal valid : std_logic_vector(C_LV downto 0);
  signal last  : std_logic_vector(C_LV downto 0);
  -- stage l takes stage l-1's word (or bubble): it is empty or stage l+1 moves on; the
  -- last stage moves on into the skid slice while that is empty
  signal mv    : std_logic_vector(C_LV + 1 downto 1);
  -- words in the stages and the slice, and whether one more may enter (registers)
  signal cnt   : natural range 0 to C_CAP := 0;
  signal rdy   : std_logic := '1';
  -- the skid slice's ends (last flag in the top bit)
  signal o_in, o_out : std_logic_vector(G_CHANNELS * 8 downto 0);
  signal o_valid     : std_logic;

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

  data(0)  <= s_data;
  valid(0) <= s_valid and rdy;
  last(0)  <= s_last;
  s_ready  <= rdy;

  g_mv : for l in C_LV downto 1 generate
    mv(l) <= (not valid(l)) or mv(l + 1);
  end generate g_mv;

  g_stage : for l in 1 to C_LV generate
    -- window elements alive before this stage: ceil(K*K / 2**(level-1))
    constant C_NI : positive := pcnn_ceil_div(C_KK, 2 ** (l - 1));
  begin
    p_stage : process (clk)
    begin
      if rising_edge(clk) then
        if mv(l) = '1' then
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

  o_in <= last(C_LV) & data(C_LV)(G_CHANNELS * 8 - 1 downto 0);

  u_skid : entity pocket_cnn.pcnn_skid
    generic map (G_WIDTH => G_CHANNELS * 8 + 1)
    port map (
      clk     => clk,
      rst     => rst,
      s_valid => valid(C_LV),
      s_ready => mv(C_LV + 1),
      s_data  => o_in,
      m_valid => o_valid,
      m_ready => m_ready,
      m_data  => o_out
    );

  m_valid <= o_valid;
  m_last  <= o_out(G_CHANNELS * 8);
  m_data  <= o_out(G_CHANNELS * 8 - 1 downto 0);

  -- while a slot is free the next window enters, whatever m_ready does this clock
  p_count : process (clk)
    variable n : natural range 0 to C_CAP + 1;
  begin
    if rising_edge(clk) then
      n := cnt;
      if s_valid = '1' and rdy = '1' then
        n := n + 1;
      end if;
      if o_valid = '1' and m_ready = '1' then
        n := n - 1;
      end if;
      cnt <= n;
      rdy <= '1' when n < C_CAP else '0';
      if rst = '1' then
        cnt <= 0;
        rdy <= '1';
      end if;
    end if;
  end process;

end architecture rtl;
