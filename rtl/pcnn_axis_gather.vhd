-- pcnn_axis_gather: 8-bit AXI4-Stream words -> whole-pixel beats.
-- Collects G_CH consecutive words (channel fastest) into one beat, channel c in
-- bits (8c+7 downto 8c). Accepts one word per clock while the output can take the
-- completed pixel (the last word of a pixel waits only if the previous pixel is
-- still held). Framing is count-based: an image is G_PIXELS pixels. s_last is only
-- checked: o_err goes high (sticky until rst) when s_last on an accepted word
-- disagrees with the count (s_last = '1' exactly on the last word of an image).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_axis_gather is
  generic (
    G_CH     : positive := 1;  -- words (channels) per pixel
    G_PIXELS : positive := 1   -- pixels per image (for m_last and the s_last check)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: 8-bit words, channel fastest; s_last is only checked
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(7 downto 0);
    s_last  : in  std_logic;
    -- output: one pixel per beat, m_last on the last pixel of an image (by count)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CH * 8 - 1 downto 0);
    m_last  : out std_logic;
    -- status
    o_err   : out std_logic    -- sticky: s_last disagreed with the count
  );
end entity pcnn_axis_gather;

architecture rtl of pcnn_axis_gather is
  type word_array_t is array (0 to G_CH - 1) of std_logic_vector(7 downto 0);
  signal asm      : word_array_t := (others => (others => '0'));
  signal word_cnt : natural range 0 to G_CH - 1 := 0;
  signal pix_cnt  : natural range 0 to G_PIXELS - 1 := 0;
  signal out_vld  : std_logic := '0';
  signal out_last : std_logic := '0';
  signal out_data : std_logic_vector(G_CH * 8 - 1 downto 0) := (others => '0');
  signal err      : std_logic := '0';
  signal rdy      : std_logic;
begin
  -- a non-final word always fits; the final word needs a free output register
  rdy <= '1' when word_cnt /= G_CH - 1 or out_vld = '0' or m_ready = '1' else '0';

  process (clk)
    variable last_word : boolean;
    variable img_end   : boolean;
  begin
    if rising_edge(clk) then
      if rst = '1' then
        word_cnt <= 0;
        pix_cnt  <= 0;
        out_vld  <= '0';
        out_last <= '0';
        err      <= '0';
      else
        if m_ready = '1' then
          out_vld <= '0';
        end if;
        if s_valid = '1' and rdy = '1' then
          last_word := word_cnt = G_CH - 1;
          img_end   := last_word and pix_cnt = G_PIXELS - 1;
          if (s_last = '1') /= img_end then
            err <= '1';
          end if;
          -- constant indices only: GHDL 2.0 writes an array assigned at a variable index
          -- as a memory whose write port its Verilog output drops (never written)
          for c in 0 to G_CH - 1 loop
            if word_cnt = c then
              asm(c) <= s_data;
            end if;
          end loop;
          if last_word then
            for c in 0 to G_CH - 1 loop
              if c = G_CH - 1 then
                out_data(8 * c + 7 downto 8 * c) <= s_data;
              else
                out_data(8 * c + 7 downto 8 * c) <= asm(c);
              end if;
            end loop;
            out_vld  <= '1';
            word_cnt <= 0;
            if img_end then
              out_last <= '1';
              pix_cnt  <= 0;
            else
              out_last <= '0';
              pix_cnt  <= pix_cnt + 1;
            end if;
          else
            word_cnt <= word_cnt + 1;
          end if;
        end if;
      end if;
    end if;
  end process;

  s_ready <= rdy;
  m_valid <= out_vld;
  m_data  <= out_data;
  m_last  <= out_last;
  o_err   <= err;
end architecture rtl;
