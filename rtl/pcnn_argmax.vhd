-- pcnn_argmax: the class index of each pixel. Each input beat (one pixel, G_CH bytes,
-- channel 0 in the low byte) gives one output beat of 8 bits: the index of its largest
-- byte, the lowest index among equal maxima (ONNX ArgMax, select_last_index = 0). The
-- bytes are the network's internal codes, int8 (a uint8 tensor travels with its MSB
-- flipped), so a signed compare orders them as the real values. A balanced tree of
-- compares feeds one output register: a beat every clock, s_ready follows m_ready
-- (backpressure), images back to back, m_last passes through with its pixel.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_argmax is
  generic (
    G_CH : positive range 1 to 256 -- channels (bytes) per input pixel: indices 0 .. G_CH-1
  );
  port (
    -- clock and synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input stream: one pixel (G_CH int8 bytes) per beat, last pixel of an image flagged
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CH * 8 - 1 downto 0);
    s_last  : in  std_logic;
    -- output stream: the pixel's class index (unsigned byte) per beat, s_last passed on
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(7 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_argmax;

architecture rtl of pcnn_argmax is
  type byte_array_t is array (0 to G_CH - 1) of signed(7 downto 0);
  type index_array_t is array (0 to G_CH - 1) of unsigned(7 downto 0);

  -- levels of the compare tree
  constant C_LEVELS : natural := pcnn_log2_ceil(G_CH);

  signal out_idx : unsigned(7 downto 0) := (others => '0');
  signal out_vld : std_logic := '0';
  signal out_lst : std_logic := '0';
  signal rdy     : std_logic;
  signal best    : unsigned(7 downto 0);
begin
  rdy <= '1' when out_vld = '0' or m_ready = '1' else '0';

  -- the tree: at level l, entry i (a multiple of 2**(l+1)) keeps the larger of itself
  -- (lower indices) and entry i + 2**l, itself on a tie
  process (s_data)
    variable val : byte_array_t;
    variable idx : index_array_t;
  begin
    for i in 0 to G_CH - 1 loop
      val(i) := signed(s_data(i * 8 + 7 downto i * 8));
      idx(i) := to_unsigned(i, 8);
    end loop;
    for l in 0 to C_LEVELS - 1 loop
      for i in 0 to G_CH - 1 loop
        if i mod 2 ** (l + 1) = 0 and i + 2 ** l < G_CH then
          if val(i + 2 ** l) > val(i) then
            val(i) := val(i + 2 ** l);
            idx(i) := idx(i + 2 ** l);
          end if;
        end if;
      end loop;
    end loop;
    best <= idx(0);
  end process;

  process (clk)
  begin
    if rising_edge(clk) then
      if rst = '1' then
        out_vld <= '0';
      else
        if m_ready = '1' then
          out_vld <= '0';
        end if;
        if s_valid = '1' and rdy = '1' then
          out_idx <= best;
          out_lst <= s_last;
          out_vld <= '1';
        end if;
      end if;
    end if;
  end process;

  s_ready <= rdy;
  m_valid <= out_vld;
  m_data  <= std_logic_vector(out_idx);
  m_last  <= out_lst;
end architecture rtl;
